"""docs/config_reference.md is generated from the schema and stays equal to it (issue 15: keys
such as two_sided, albedo_model, pointing_rsw and chunk_outputs appeared nowhere but the code)."""

from orbital_sim.config import schema
from orbital_sim.config.reference import TABLES, key_reference
from tests.app.conftest import ROOT


def test_the_docs_file_is_the_generated_reference():
    text = (ROOT / "docs" / "config_reference.md").read_text(encoding="utf-8")
    assert text == key_reference(), ("docs/config_reference.md is out of date: "
                                     "python -m orbital_sim.config.reference > docs/config_reference.md")


def test_every_key_of_every_table_is_listed():
    text = key_reference()
    for _, var, _ in TABLES:
        for key in getattr(schema, var):
            assert f"| `{key}` |" in text, (var, key)
    for fields in schema.ENTRY_SCHEMAS.values():
        for key in fields:
            assert f"| `{key}` |" in text, key
    for key in ("two_sided", "albedo_model", "pointing_rsw", "chunk_outputs", "role"):
        assert f"| `{key}` |" in text
