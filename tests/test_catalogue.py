import pytest
import yaml

from wildlens.model.bundle.catalogue import (
    LANGUAGES,
    CatalogueError,
    catalogue_from_dict,
    default_catalogue,
    load_catalogue,
)


def test_default_catalogue_has_the_design_classes():
    catalogue = default_catalogue()
    assert {"pangolin_scale", "elephant_ivory", "rhino_horn", "rosewood"} <= set(catalogue.ids)
    assert {"bone", "cattle_horn", "resin_imitation", "other_timber"} <= set(catalogue.ids)
    for entry in catalogue:
        assert all(entry.names[lang].strip() for lang in LANGUAGES), entry.id
        assert entry.features and entry.taxon
        own = entry.target_precision
        assert entry.always_review or own is None or 0.95 < own <= 1
        # A look-alike's wrong answer clears an item: look-alikes carry a stricter own target.
        assert (entry.group == "lookalike") == (own is not None), entry.id


def test_protected_species_are_cites_listed_and_lookalikes_are_not():
    catalogue = default_catalogue()
    for entry in catalogue:
        listed = entry.cites_appendix != "none"
        assert listed == (entry.group != "lookalike"), entry.id


def test_snapshot_round_trip():
    catalogue = default_catalogue()
    assert catalogue_from_dict(catalogue.to_dict()) == catalogue


def test_for_classes_keeps_order_and_fills_unknown_classes():
    catalogue = default_catalogue().for_classes(["rosewood", "my_resin"])
    assert catalogue.ids == ["rosewood", "my_resin"]
    assert catalogue["my_resin"].name("zh") == "my resin"
    assert catalogue["my_resin"].target_precision is None  # the pooled guarantee


@pytest.mark.parametrize("class_id", ["t-shirt", "2nd_grade", "a" * 64])
def test_dataset_folder_names_are_class_ids_that_survive_a_snapshot(class_id):
    catalogue = default_catalogue().for_classes(["bone", class_id])
    assert catalogue_from_dict(catalogue.to_dict()).ids == ["bone", class_id]


@pytest.mark.parametrize("class_id", ["T-Shirt", "pangolin scales", "-x", "a/b", "", "a" * 65])
def test_unusable_class_ids_are_refused_before_anything_is_trained(class_id):
    with pytest.raises(CatalogueError, match="rename the class folder"):
        default_catalogue().for_classes(["bone", class_id])


def _write(tmp_path, classes):
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump({"classes": classes}, allow_unicode=True))
    return path


def _entry(**overrides):
    entry = {
        "id": "thing",
        "names": {"en": "T", "zh": "T", "lo": "T"},
        "routing": {"target_precision": 0.9},
    }
    entry.update(overrides)
    return entry


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (_entry(id="Bad Id"), "lowercase letters, digits"),
        (_entry(names={"en": "T"}), "names missing"),
        (_entry(routing={"target_precision": 1.5}), "in (0, 1]"),
        (_entry(routing={"target_precision": 0.9, "always_review": True}), "not both"),
        (_entry(cites_appendix="IV"), "cites_appendix"),
        (_entry(group="mineral"), "group"),
        (_entry(lookalikes=["nothing"]), "unknown lookalikes"),
    ],
)
def test_malformed_entries_are_rejected(tmp_path, entry, message):
    with pytest.raises(CatalogueError, match=message.replace("(", r"\(").replace("]", r"\]")):
        load_catalogue(_write(tmp_path, [entry]))


def test_duplicate_ids_are_rejected(tmp_path):
    with pytest.raises(CatalogueError, match="duplicate"):
        load_catalogue(_write(tmp_path, [_entry(), _entry()]))
