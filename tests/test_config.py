import re

import pytest
import yaml

from wildlens.cli import CONFIGS
from wildlens.common.config_loader import (
    SECTION_NAMES,
    ConfigError,
    config_to_dict,
    load_config,
    section_help,
)
from wildlens.common.files import config_path
from wildlens.model.config import TrainConfig
from wildlens.pipeline.config import InferConfig
from wildlens.ui.config import AppConfig


def test_defaults_without_arguments():
    assert load_config(TrainConfig, []) == TrainConfig()


def test_command_line_values_are_parsed_by_field_type():
    cfg = load_config(TrainConfig, ["epochs=3", "lr=1e-3", "overwrite=yes", "data=a=b"])
    assert (cfg.epochs, cfg.lr, cfg.overwrite, cfg.data) == (3, 0.001, True, "a=b")


def test_list_values_from_command_line():
    cfg = load_config(InferConfig, ["extensions=.jpg, .png"])
    assert cfg.extensions == [".jpg", ".png"]


def test_yaml_file_then_command_line_override(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("train:\n  epochs: 7\n  lr: 0.01\napp:\n  port: 9000\n")
    cfg = load_config(TrainConfig, ["epochs=2", f"config={path}"])
    assert (cfg.epochs, cfg.lr) == (2, 0.01)  # the command line wins whatever its position
    assert load_config(AppConfig, [f"config={path}"]).port == 9000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["epoch=3"], "did you mean 'epochs'"),
        (["epochs=three"], "train.epochs: expected an integer"),
        (["overwrite=maybe"], "expected true/false"),
        (["device=tpu"], "expected one of 'auto'"),
        (["epochs"], "expected key=value"),
        (["config=/no/such/file.yaml"], "cannot read config file"),
    ],
)
def test_bad_arguments_are_clear_errors(args, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(TrainConfig, args)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("train:\n  epochs: '3'\n", "expected an integer"),
        ("train:\n  epochs: true\n", "expected an integer"),
        ("train:\n  lr: fast\n", "expected a number"),
        ("train:\n  nonsense: 1\n", "unknown train key 'nonsense'"),
        ("trian:\n  epochs: 1\n", "unknown section"),
        ("train: [1, 2]\n", "must be a mapping"),
        ("train: {epochs: 1\n", "not valid YAML"),
    ],
)
def test_bad_yaml_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(TrainConfig, [f"config={path}"])


def test_yaml_int_is_accepted_for_a_float_key(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("train:\n  lr: 1\n")
    assert load_config(TrainConfig, [f"config={path}"]).lr == 1.0


def test_default_yaml_matches_the_dataclass_defaults():
    document = yaml.safe_load(config_path("default.yaml").read_text())
    assert list(document) == list(SECTION_NAMES) == [cls.section for cls in CONFIGS]
    for cls in CONFIGS:
        assert document[cls.section] == config_to_dict(cls()), cls.section


def test_every_default_yaml_key_has_a_comment():
    for line in config_path("default.yaml").read_text().splitlines():
        if line.startswith("  ") and ":" in line:
            assert " # " in line, f"key without a comment: {line.strip()}"


def test_section_help_lists_every_key():
    text = section_help(TrainConfig)
    for key in config_to_dict(TrainConfig()):
        assert f"  {key}:" in text
