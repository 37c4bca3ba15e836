"""WildLens's own YAML files, installed as package data: every config key with its default
(default.yaml), the default catalogue (catalogue.yaml) and the demo recipe (demo.yaml). Read them
with `wildlens.common.files.config_path(name)`."""
