"""The identity pages' strings (#17), registered into the one catalogue when the pages load."""

from __future__ import annotations

IDENTITY_MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        "staff_nav_identity": "实名核验",
        "identity_heading": "实名核验",
        "identity_intro": (
            "核验证件号码，并将客户现场照片与留存照片进行 1:1 人脸比对（可戴口罩）。"
            "照片只在本次比对中使用，不保存、不记录日志。"
        ),
        "identity_number_heading": "证件号码核验",
        "identity_number": "证件号码",
        "identity_kind": "证件类型",
        "identity_kind_resident_id": "居民身份证",
        "identity_kind_uscc": "统一社会信用代码",
        "identity_kind_bank_card": "银行卡",
        "identity_kind_passport": "护照",
        "identity_kind_hk_macao_permit": "往来港澳通行证",
        "identity_kind_hk_macao_resident_permit": "港澳居民来往内地通行证",
        "identity_kind_taiwan_travel_permit": "大陆居民往来台湾通行证",
        "identity_kind_taiwan_resident_permit": "台湾居民来往大陆通行证",
        "identity_check": "核验",
        "identity_valid": "格式有效",
        "identity_invalid": "无效",
        "identity_structural_note": "格式校验只能说明号码可能存在，不能证明证件真实签发；姓名与号码是否一致须经登记机关核验。",
        "identity_face_heading": "人脸比对",
        "identity_photo": "留存照片（证件照）",
        "identity_capture": "现场照片",
        "identity_face_hint": "JPEG、PNG 或 WebP，每张不超过 {mb} MB。",
        "identity_verify": "比对",
        "identity_verdict_match": "一致",
        "identity_verdict_no_match": "不一致",
        "identity_verdict_retake": "请重拍",
        "identity_score": "相似度",
        "identity_distance": "距离 / 阈值",
        "identity_masked": "戴口罩",
        "identity_yes": "是",
        "identity_no": "否",
        "identity_problems": "照片问题",
        "identity_liveness_note": "本系统未做可靠的活体检测：打印照片或视频回放可能冒充客户。大额业务请当面核验。",
        "identity_recent": "最近的核验",
        "identity_none": "还没有核验记录。",
        "staff_err_number": "请填写证件号码。",
        "staff_err_kind": "请选择证件类型。",
        "staff_err_photo": "留存照片无法使用。",
        "staff_err_capture": "现场照片无法使用。",
        "staff_err_body": "上传的内容无法读取。",
    },
    "en": {
        "staff_nav_identity": "Identity",
        "identity_heading": "Identity verification",
        "identity_intro": (
            "Check a document number, and compare a live picture of the customer with the photo on file (1:1, "
            "masks allowed). Pictures are used for this comparison only: never stored, never logged."
        ),
        "identity_number_heading": "Document number",
        "identity_number": "Number",
        "identity_kind": "Document",
        "identity_kind_resident_id": "Resident ID card",
        "identity_kind_uscc": "Unified social credit code",
        "identity_kind_bank_card": "Bank card",
        "identity_kind_passport": "Passport",
        "identity_kind_hk_macao_permit": "Exit-entry permit to Hong Kong and Macao",
        "identity_kind_hk_macao_resident_permit": "Mainland travel permit for Hong Kong and Macao residents",
        "identity_kind_taiwan_travel_permit": "Travel permit to Taiwan",
        "identity_kind_taiwan_resident_permit": "Mainland travel permit for Taiwan residents",
        "identity_check": "Check",
        "identity_valid": "Well-formed",
        "identity_invalid": "Invalid",
        "identity_structural_note": (
            "A format check shows a number could exist, not that it was issued; "
            "whether name and number belong together is the registry's answer."
        ),
        "identity_face_heading": "Face comparison",
        "identity_photo": "Photo on file (ID photo)",
        "identity_capture": "Live capture",
        "identity_face_hint": "JPEG, PNG or WebP, at most {mb} MB each.",
        "identity_verify": "Compare",
        "identity_verdict_match": "Match",
        "identity_verdict_no_match": "No match",
        "identity_verdict_retake": "Retake",
        "identity_score": "Similarity",
        "identity_distance": "Distance / threshold",
        "identity_masked": "Masked",
        "identity_yes": "yes",
        "identity_no": "no",
        "identity_problems": "Picture problems",
        "identity_liveness_note": (
            "There is no reliable liveness check: a printed photo or a replayed video "
            "may pass as the customer. Verify in person for large amounts."
        ),
        "identity_recent": "Recent checks",
        "identity_none": "No checks yet.",
        "staff_err_number": "Enter the document number.",
        "staff_err_kind": "Choose the document.",
        "staff_err_photo": "The photo on file cannot be used.",
        "staff_err_capture": "The live capture cannot be used.",
        "staff_err_body": "The upload cannot be read.",
    },
}
