"""TOML pieces that several app tests build their scenarios from."""


from tests.app.conftest import ROOT  # noqa: E402


def default_node_class_toml() -> str:
    """The default scenario's [node_class.compute] tables, copied by name from configs/default.toml."""
    default = (ROOT / "configs" / "default.toml").read_text()
    start = default.index("[node_class.compute.compute]")
    end = default.index("# The constellation:")
    return default[start:end].rsplit("\n# ----", 1)[0] + "\n"


def vectors_km(rows) -> str:
    """Rows of 3-vectors in metres as a TOML array of arrays in kilometres."""
    return "[" + ", ".join("[" + ", ".join(repr(float(x) / 1e3) for x in row) + "]" for row in rows) + "]"


#: one node on a circular 550 km orbit at 53 deg (elements at the epoch)
ONE_NODE_550KM_53DEG = """
[[constellation]]
type = "elements"
node_class = "compute"
a_km = [6928.137]
e = [0.0]
i_deg = [53.0]
raan_deg = [0.0]
argp_deg = [0.0]
mean_anomaly_deg = [0.0]
"""
