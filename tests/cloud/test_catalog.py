"""The 云计算 extension catalog and the profile switch that turns it on."""

from __future__ import annotations

import pytest
import yaml

from assess.catalog import load as catalog_load
from assess.catalog import profile as profile_mod
from assess.errors import LintErrors

GA_T = {"L3-ABS2-01", "L3-ABS2-02", "L3-CES2-01", "L3-CES2-14", "L3-SMC2-03", "L3-SMC2-04",
        "L3-CMS2-01", "L3-CMS2-02", "L3-CMS2-03", "L3-CMS2-04", "L3-CMS2-05"}
ZDS_MORE = {"L3-CNS2-01", "L3-ABS2-03", "L3-ABS2-04", "L3-ABS2-05", "L3-ABS2-06", "L3-ABS2-07", "L3-CES2-03",
            "L3-CES2-05", "L3-CES2-06", "L3-CES2-10"}
CONDITIONAL = {"L3-CES2-07", "L3-CES2-08", "L3-CES2-09", "L3-CES2-13", "L3-CMS2-06"}


def load(tmp_path, **data):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"id": "p", "title": "p", "level": 3, "extends": "level3", **data}),
                    encoding="utf-8")
    cat = catalog_load.load()
    return cat, profile_mod.load(str(path), cat)


def assessed(cat, prof):
    return {i for i, item in cat.items.items() if item.extension == "cloud" and i not in prof.tailoring}


def test_46_items_with_clauses_and_the_assumed_weight():
    cat = catalog_load.load()
    cloud = cat.extension_items["cloud"]
    assert len(cloud) == 46 and len(cat.items) == 211
    counts = {}
    for item in cloud.values():
        counts[item.class_code] = counts.get(item.class_code, 0) + 1
        assert item.clause.startswith("8.2.") and item.weight == 0.7 and item.applicability
    assert counts == {"PES": 1, "CNS": 5, "ABS": 8, "CES": 19, "SMC": 4, "CMS": 8, "MMS": 1}
    assert cloud["L3-CES2-10"].requirement.startswith("应确保云服务客户数据、用户个人信息等存储于中国境内")


def test_without_the_extension_nothing_of_it_is_assessed(tmp_path):
    cat, prof = load(tmp_path)
    assert len(cat.items) == 211 and not prof.extensions


def test_ga_t_2347_reading_is_the_default(tmp_path):
    cat, prof = load(tmp_path, extensions=["cloud"])
    assert len(cat.items) == 257 and assessed(cat, prof) == GA_T
    assert "此项主要针对云服务商" in prof.tailoring["L3-SMC2-01"]
    # where the readings disagree (data location: ZDS applies it to tenants), the reason says so
    assert "zds_2025 认为租户侧适用" in prof.tailoring["L3-CES2-10"]
    assert "认为租户侧适用" not in prof.tailoring["L3-SMC2-01"]


def test_zds_reading_with_conditional_items(tmp_path):
    cat, prof = load(tmp_path, extensions=["cloud"], cloud={"applicability": "zds_2025"})
    assert assessed(cat, prof) == GA_T | ZDS_MORE and len(GA_T | ZDS_MORE) == 21
    assert prof.tailoring["L3-CES2-13"].startswith("选择性适用")
    cat, prof = load(tmp_path, extensions=["cloud"], cloud={"applicability": "zds_2025",
                                                            "selected": ["L3-CES2-13"]})
    assert assessed(cat, prof) == GA_T | ZDS_MORE | {"L3-CES2-13"}


def test_cloud_context_reaches_the_high_risk_rules(tmp_path):
    _cat, prof = load(tmp_path, extensions=["cloud"], cloud={"provider": "aws", "platform_level": 3,
                                                              "platform_certificate": "11010099999-00001"})
    assert prof.context["cloud_platform_level"] == 3 and prof.context["cloud_provider"] == "aws"


@pytest.mark.parametrize("data,message", [
    ({"cloud": {"provider": "aws"}}, "needs 'extensions: [cloud]'"),
    ({"extensions": ["cloud"], "cloud": {"selected": ["L3-CES1-01"]}}, "unknown cloud item"),
    ({"extensions": ["cloud"], "cloud": {"applicability": "mine"}}, "invalid value"),
    ({"extensions": ["cloud"], "cloud": {"platform_level": 5}}, "invalid value"),
])
def test_bad_cloud_profiles(tmp_path, data, message):
    with pytest.raises(LintErrors) as err:
        load(tmp_path, **data)
    assert any(message in p for p in err.value.problems), err.value.problems


def test_lint_counts_the_extension_items():
    from click.testing import CliRunner

    from assess.cli import main

    result = CliRunner().invoke(main, ["controls", "lint"])
    assert result.exit_code == 0 and "211 items (+46 cloud extension items)" in result.output, result.output


def test_a_bundle_freezes_the_extension_and_keeps_the_run_items(tmp_path):
    """The frozen profile of a bundle carries extensions and the cloud context, and loading the shipped profile
    of the same id for comparison does not drop the run's extension items."""
    from assess.bundle.create import profile_yaml

    cat, prof = load(tmp_path, extensions=["cloud"], cloud={"platform_level": 3})
    used = {**prof.public(), "id": "level3"}
    frozen = yaml.safe_load(profile_yaml({"run": {"id": "r1", "profile": used}}, cat))
    assert frozen["extensions"] == ["cloud"] and frozen["cloud"]["platform_level"] == 3
    assert len(cat.items) == 257
    again = tmp_path / "frozen.yaml"
    again.write_text(yaml.safe_dump(frozen, allow_unicode=True), encoding="utf-8")
    reloaded = profile_mod.load(str(again), cat)
    assert reloaded.extensions == ["cloud"] and reloaded.tailoring == prof.tailoring
