"""Words of the reports in Chinese (default) and English."""

from __future__ import annotations

VERDICT = {
    "zh": {"pass": "符合", "partial": "部分符合", "fail": "不符合", "na": "不适用", "manual": "待核查",
           "error": "无法判定"},
    "en": {"pass": "Conforms", "partial": "Partly conforms", "fail": "Does not conform", "na": "Not applicable",
           "manual": "To be checked", "error": "Undetermined"},
}
CHECK_STATUS = {
    "zh": {"pass": "通过", "fail": "未通过", "na": "不适用", "error": "无法判定", "manual": "未执行"},
    "en": {"pass": "pass", "fail": "fail", "na": "n/a", "error": "error", "manual": "not run"},
}
DISRUPTION = {
    "zh": {"none": "无影响", "reload": "需重新加载配置", "restart": "需重启服务", "reboot": "需重启主机",
           "lockout-risk": "有锁定登录风险"},
    "en": {"none": "none", "reload": "configuration reload", "restart": "service restart", "reboot": "host reboot",
           "lockout-risk": "risk of locking out logins"},
}
PRIORITY = {
    "zh": {"major": "重大风险隐患", "high": "高风险", "normal": "一般"},
    "en": {"major": "major risk", "high": "high risk", "normal": "normal"},
}
CASES = {
    "zh": {"trial": "试行指引", "iseaa": "T/ISEAA 001-2020", "major": "2025版附录G"},
    "en": {"trial": "trial guide", "iseaa": "T/ISEAA 001-2020", "major": "2025 appendix G"},
}

_TEXT = {
    "title": ("网络安全等级保护 第三级 自评估报告", "MLPS 2.0 level 3 self-assessment report"),
    "prediction": ("自评预测，非测评机构结论", "Self-assessment prediction, not an evaluator's conclusion"),
    "run": ("运行", "Run"),
    "started": ("开始时间", "Started"),
    "finished": ("结束时间", "Finished"),
    "profile": ("配置", "Profile"),
    "template": ("报告模版", "Report template"),
    "catalog": ("测评项目录", "Catalog"),
    "tool": ("工具", "Tool"),
    "conclusion": ("预测测评结论", "Predicted conclusion"),
    "conformance_rate": ("符合率", "Conformance rate"),
    "score": ("综合得分（参考）", "Overall score (indicative)"),
    "items_counted": ("计入的测评项", "Items counted"),
    "items_pending": ("待核查或无法判定的测评项", "Items still to check or undetermined"),
    "major_risks": ("重大风险隐患", "Major risks"),
    "high_risks": ("高风险问题", "High-risk findings"),
    "other_high_risks": ("其他高风险（不含重大风险隐患）", "Other high risks (major risks not included)"),
    "none_found": ("未发现", "None found"),
    "not_assessed": ("未评估（证据缺失）", "Not assessed (evidence missing)"),
    "coverage": ("评估范围不完整", "Coverage is incomplete"),
    "conservative": ("最保守", "most conservative"),
    "raw": ("原始记录", "raw"),
    "readings": ("其他算法下的结论", "Under other readings of the formula"),
    "compensated": ("已由补偿措施抵消", "Cancelled by a compensating measure"),
    "compensated_by": ("补偿措施", "Compensating measure"),
    "triggered_by": ("触发依据", "Triggered by"),
    "veto": ("存在高风险，结论为“差”（一票否决）", "A high risk is present: the grade is 'poor' (veto)"),
    "formula": ("计算方法", "Formula"),
    "by_class": ("各安全类测评结果", "Verdicts by class"),
    "cp_scores": ("控制点得分（满分 10 分）", "Control-point scores (out of 10)"),
    "class_scores": ("安全类得分", "Class scores"),
    "objects": ("测评对象", "Objects assessed"),
    "items": ("测评项", "Items"),
    "details": ("测评结果明细", "Results in detail"),
    "remediation": ("整改清单", "Remediation plan"),
    "evidence": ("证据", "Evidence"),
    "object": ("测评对象", "Object"),
    "item": ("测评项", "Item"),
    "clause": ("条款", "Clause"),
    "class": ("安全类", "Class"),
    "control_point": ("控制点", "Control point"),
    "weight": ("权重", "Weight"),
    "verdict": ("符合情况", "Verdict"),
    "reason": ("说明", "Reason"),
    "checks": ("检查", "Checks"),
    "observed": ("实际", "Observed"),
    "expected": ("要求", "Expected"),
    "type": ("类型", "Type"),
    "address": ("地址", "Address"),
    "tags": ("标签", "Tags"),
    "reachable": ("可达", "Reachable"),
    "collection_error": ("采集失败", "Collection failed"),
    "rank": ("序号", "#"),
    "priority": ("优先级", "Priority"),
    "gap": ("问题", "Gap"),
    "fix": ("整改措施", "Fix"),
    "command": ("命令或配置", "Command or configuration"),
    "disruption": ("影响", "Disruption"),
    "search": ("搜索（测评项、对象、说明…）", "Search (item, object, reason…)"),
    "all": ("全部", "All"),
    "shown": ("显示", "Shown"),
    "rows": ("行", "rows"),
    "fact": ("采集项", "Fact"),
    "no_evidence": ("无采集证据（访谈类对象或未采集）", "No collected evidence (interview object or not collected)"),
    "output_truncated": ("（输出已截断）", "(output truncated)"),
    "requirement": ("要求", "Requirement"),
    "record": ("结果记录", "Record"),
    "extension": ("扩展标准", "Standard"),
    "points": ("分值", "Weight"),
    "evidence_ids": ("证据编号", "Evidence ids"),
    "version": ("IP / 版本", "Address / version"),
    "summary_sheet": ("结论与整改", "Conclusion and fixes"),
    "waived": ("已豁免", "Waived"),
    "questionnaire": ("访谈问卷已答复", "Questionnaire answered"),
    "trend": ("历次运行趋势（符合率与重大风险隐患数）", "Trend over runs (conformance rate and major risks)"),
    "drift": ("与上次运行相比", "Compared with the previous run"),
    "waivers_active": ("生效的豁免", "Active waivers"),
    "warnings": ("提示", "Warnings"),
    "filters": ("筛选", "Filter"),
    "item_id": ("编号", "Id"),
    "objects_affected": ("涉及对象", "Objects"),
    "unverified": ("未经核实", "unverified"),
}


def text(lang: str) -> dict[str, str]:
    """All plain labels for one language."""
    index = 0 if lang == "zh" else 1
    return {key: pair[index] for key, pair in _TEXT.items()}
