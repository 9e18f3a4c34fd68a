"""The shipped baseline validates and is complete; broken baselines fail with the field named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from classify.baseline import Baseline, Trend, load_baseline
from tests.classify.conftest import BASELINE_FILE
from tradewatch.configfile import ConfigError

REQUIRED = {
    "trade_authority",
    "negotiation_delegations",
    "trade_partners",
    "capitalist_trade",
    "state_oversight",
    "border_customs",
    "fx_earning",
    "self_reliance",
    "markets_and_traders",
    "sanctions_evasion",
}


def test_shipped_baseline_has_every_dimension_with_citations(baseline: Baseline) -> None:
    assert baseline.version == "2024.37"
    assert baseline.as_of.isoformat() == "2024-12-31"
    assert {d.id for d in baseline.dimensions} >= REQUIRED
    for dim in baseline.dimensions:
        assert dim.citations, dim.id
        assert all(c.outlet and c.title for c in dim.citations), dim.id
        assert dim.cues.topic and dim.cues.loosening and dim.cues.tightening, dim.id
        assert dim.loosened_stance and dim.tightened_stance, dim.id


def test_seed_analysis_is_cited_with_its_verified_address(baseline: Baseline) -> None:
    dim = baseline.dimension("trade_authority")
    assert dim is not None and dim.trend is Trend.TIGHTENING
    url = str(dim.citations[0].url)
    assert url.startswith("https://www.38north.org/2023/02/understanding-kim-jong-uns")


def test_uncovered_dimensions_say_so_in_a_note(baseline: Baseline) -> None:
    for dim_id in ("border_customs", "markets_and_traders", "sanctions_evasion"):
        dim = baseline.dimension(dim_id)
        assert dim is not None and dim.note and "not covered directly" in dim.note.lower()


def _broken_copy(tmp_path: Path, edit: str) -> Path:
    data = yaml.safe_load(BASELINE_FILE.read_text(encoding="utf-8"))
    if edit == "trend":
        data["dimensions"][2]["trend"] = "sideways"
    elif edit == "regex":
        data["dimensions"][0]["cues"]["tightening"] = ["(unclosed"]
    elif edit == "citations":
        data["dimensions"][1]["citations"] = []
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        ("trend", "dimensions[2].trend"),
        ("regex", "dimensions[0].cues.tightening"),
        ("citations", "dimensions[1].citations"),
    ],
)
def test_malformed_baseline_names_the_field(tmp_path: Path, edit: str, field: str) -> None:
    path = _broken_copy(tmp_path, edit)
    with pytest.raises(ConfigError) as info:
        load_baseline(path)
    assert f"{path}: {field}:" in str(info.value)


def test_missing_baseline_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_baseline(tmp_path / "absent.yaml")


def test_watch_topics_validate_and_cannot_reuse_a_dimension_id(
    baseline: Baseline, tmp_path: Path
) -> None:
    assert {t.id for t in baseline.watch_topics} >= {"sez_investment", "labour_exports", "tourism"}
    assert all(baseline.dimension(t.id) is None for t in baseline.watch_topics)
    data = yaml.safe_load(BASELINE_FILE.read_text(encoding="utf-8"))
    data["watch_topics"][0]["id"] = "border_customs"
    path = tmp_path / "clash.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="border_customs"):
        load_baseline(path)
