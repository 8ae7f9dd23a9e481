"""Every user-visible string of the public pages, one dict per language, and the language choice.

The verdict advice itself comes from :data:`finguard.domain.check.PUBLIC_ADVICE` (through
:func:`finguard.domain.check.public_view`); the strings here are the page around it.
"""

from __future__ import annotations

LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

# The HTML ``lang`` attribute / Content-Language for each page language.
HTML_LANG = {"zh": "zh-CN", "en": "en"}

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        "page_title": "收款人风险核验 · finguard",
        "brand": "finguard",
        "brand_tagline": "收款人风险核验",
        "switch_label": "English",
        "switch_title": "Switch to English",
        "heading": "转账前，先查一查收款人",
        "intro": "输入对方的收款账号、银行卡号或手机号，核验是否被列入银行及公安机关的风险名单。",
        "field_account": "收款账号",
        "field_card": "银行卡号",
        "field_phone": "手机号码",
        "field_name": "收款人姓名",
        "field_payee": "收款人信息",
        "optional": "选填",
        "hint_account": "只填数字，可带空格或短横线",
        "hint_payee": "收款账号、银行卡号、手机号码至少填写一项。",
        "placeholder_account": "例如 6222 0000 1234 5678",
        "placeholder_card": "例如 6228 0000 0000 0000",
        "placeholder_phone": "例如 138 0013 8000",
        "placeholder_name": "例如 张三",
        "submit": "立即核验",
        "again": "核验其他收款人",
        "result_heading": "核验结果",
        "verdict_block": "高风险",
        "verdict_warn": "存在风险",
        "verdict_pass": "未发现风险记录",
        "verdict_unavailable": "暂时无法核验",
        "check_id": "核验编号",
        "hotline": "遇到可疑转账要求，请立即拨打全国反诈专线 96110，或报警 110。",
        "hotline_call": "拨打 96110",
        "error_summary": "请检查以下填写内容：",
        "error_payee": "请至少填写收款账号、银行卡号或手机号码中的一项。",
        "error_account": "收款账号格式不正确：只能包含数字、空格和短横线，共 6 至 34 位数字。",
        "error_card": "银行卡号格式不正确：应为 13 至 19 位数字的有效卡号。",
        "error_phone": "手机号码格式不正确：请输入有效的手机号码，例如 138 0013 8000。",
        "error_name": "收款人姓名过长：不能超过 200 个字符。",
        "error_other": "填写内容格式不正确，请检查后重试。",
        "rate_limited_title": "查询过于频繁",
        "rate_limited": "您的查询次数过多，请稍候一分钟再试。在核验完成之前，请勿转账。",
        "footer_scope": "本服务仅提示风险记录，不构成对收款人身份或信用的担保。",
        "footer_safe_account": "公检法机关不会要求您向“安全账户”转账。",
    },
    "en": {
        "page_title": "Payee risk check · finguard",
        "brand": "finguard",
        "brand_tagline": "Payee risk check",
        "switch_label": "中文",
        "switch_title": "切换到中文",
        "heading": "Check the payee before you pay",
        "intro": "Enter the payee's account number, card number or phone number to see whether it is on a bank or police risk list.",
        "field_account": "Payee account number",
        "field_card": "Card number",
        "field_phone": "Phone number",
        "field_name": "Payee name",
        "field_payee": "Payee details",
        "optional": "optional",
        "hint_account": "Digits only; spaces and dashes are fine",
        "hint_payee": "Fill in at least one of account number, card number or phone number.",
        "placeholder_account": "e.g. 6222 0000 1234 5678",
        "placeholder_card": "e.g. 6228 0000 0000 0000",
        "placeholder_phone": "e.g. 138 0013 8000",
        "placeholder_name": "e.g. Zhang San",
        "submit": "Check now",
        "again": "Check another payee",
        "result_heading": "Result",
        "verdict_block": "High risk",
        "verdict_warn": "Caution",
        "verdict_pass": "No risk record found",
        "verdict_unavailable": "Check unavailable",
        "check_id": "Check ID",
        "hotline": "If anyone pressures you to transfer money, call the anti-fraud hotline 96110 or the police on 110 now.",
        "hotline_call": "Call 96110",
        "error_summary": "Please check the following:",
        "error_payee": "Fill in at least one of payee account number, card number or phone number.",
        "error_account": "Payee account number is not valid: use digits, spaces and dashes only, 6 to 34 digits.",
        "error_card": "Card number is not valid: it must be a valid card number of 13 to 19 digits.",
        "error_phone": "Phone number is not valid: enter a valid mobile number, e.g. 138 0013 8000.",
        "error_name": "Payee name is too long: use at most 200 characters.",
        "error_other": "Some of the details are not valid; please check them and try again.",
        "rate_limited_title": "Too many checks",
        "rate_limited": "You have made too many checks. Please wait a minute and try again, and do not transfer until the check completes.",
        "footer_scope": "This service reports risk records only; it does not vouch for the payee's identity or credit.",
        "footer_safe_account": "The police, prosecutors and courts never ask you to move money to a 'safe account'.",
    },
}


def messages(lang: str) -> dict[str, str]:
    return MESSAGES.get(lang, MESSAGES[DEFAULT_LANGUAGE])


def _from_accept_language(header: str) -> str | None:
    """The supported language the browser prefers most, or None."""
    ranked: list[tuple[float, int, str]] = []
    for pos, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and q > 0:
            ranked.append((-q, pos, primary))
    return min(ranked)[2] if ranked else None


def choose_language(explicit: str | None, accept_language: str | None) -> str:
    """An explicit ``lang`` wins; then the Accept-Language header; then Chinese."""
    if explicit:
        value = explicit.strip().lower()
        if value in LANGUAGES:
            return value
    if accept_language:
        found = _from_accept_language(accept_language)
        if found:
            return found
    return DEFAULT_LANGUAGE
