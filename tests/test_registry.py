from __future__ import annotations

import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import custcare
from custcare import CustcareUsageError, ScorerRegistrationError
from custcare.testing import check_scorer

PLUGIN = Path(__file__).parent.parent / "examples" / "plugin"


def _dist(site: Path, name: str, entry_points: dict[str, str]) -> None:
    """Write an installed-distribution record (what pip would write) into ``site``."""
    info = site / f"{name.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n")
    lines = "\n".join(f"{k} = {v}" for k, v in entry_points.items())
    (info / "entry_points.txt").write_text(f"[custcare.scorers]\n{lines}\n")


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example plugin 'installed' from its own pyproject, plus two broken ones."""
    project = tomllib.loads((PLUGIN / "pyproject.toml").read_text())
    eps = project["project"]["entry-points"]["custcare.scorers"]
    _dist(tmp_path, project["project"]["name"], eps)
    _dist(tmp_path, "broken-import", {"broken.missing": "no_such_module_xyz:Scorer"})
    _dist(tmp_path, "broken-name", {"broken.misnamed": "custcare.testing:ConstantScorer"})
    _dist(tmp_path, "squatter", {"testing.constant_x": "custcare.testing:ConstantScorer"})
    monkeypatch.syspath_prepend(str(PLUGIN / "src"))
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_plugin_is_discovered_by_entry_point(plugins: Path) -> None:
    infos = {i.name: i for i in custcare.available_scorers()}
    info = infos["example.birthday"]
    assert info.ok and info.origin == "plugin"
    assert info.distribution == "custcare-vip-birthday"
    assert info.description == "Flags customers whose birthday month is coming up."
    scorer = custcare.get_scorer("example.birthday", months_ahead=2)
    assert scorer.config.model_dump() == {"months_ahead": 2}
    shop = custcare.datasets.sample_shop()
    result = scorer.score(shop.histories[0], as_of=shop.as_of)
    assert result.scorer == "example.birthday"


def test_example_plugin_passes_the_kit(plugins: Path) -> None:
    check_scorer(custcare.get_scorer("example.birthday"))


def test_broken_plugins_are_reported_and_do_not_break_others(plugins: Path) -> None:
    infos = {i.name: i for i in custcare.available_scorers()}
    missing = infos["broken.missing"]
    assert not missing.ok and missing.distribution == "broken-import"
    assert "ModuleNotFoundError" in (missing.error or "")
    misnamed = infos["broken.misnamed"]
    assert not misnamed.ok and "testing.constant" in (misnamed.error or "")
    assert infos["example.birthday"].ok
    with pytest.raises(ScorerRegistrationError) as exc:
        custcare.get_scorer("broken.missing")
    assert "broken.missing" in str(exc.value) and "broken-import" in str(exc.value)
    with pytest.raises(ScorerRegistrationError, match="entry point name must match"):
        custcare.get_scorer("broken.misnamed")


def test_unknown_scorer_lists_the_available_ones() -> None:
    with pytest.raises(CustcareUsageError) as exc:
        custcare.get_scorer("no.such")
    assert exc.value.code == "unknown_scorer"
    assert "available:" in str(exc.value)


def test_available_scorers_is_sorted_and_builtins_load() -> None:
    infos = custcare.available_scorers()
    names = [i.name for i in infos]
    assert names == sorted(names)
    for info in infos:
        if info.origin == "builtin":
            assert info.ok and info.description
            assert custcare.get_scorer(info.name).name == info.name


def test_registry_has_no_mutable_global_list() -> None:
    from custcare.scoring import _registry

    assert isinstance(_registry._BUILTINS, tuple)
    assert not [
        n
        for n, v in vars(_registry).items()
        if not n.startswith("__") and isinstance(v, (list, dict, set))
    ]
