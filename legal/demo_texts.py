"""The legal demo's fixed inputs (legal/demo.py)."""

# The demo's facts in the demo's two locales: what a legal officer would have typed.
TEXTS = {
    "en": {
        "court": "Shanghai Pudong New Area People's Court",
        "place": "Court room 3, 1 Dingxiang Road",
        "lawyer": "Zhang & Partners Law Firm",
        "contract": ("Signed credit contract", "Lender's e-signature platform", "The loan, its amount and terms"),
        "identity": ("Borrower's identity card (copy)", "Collected at account opening", "Who the borrower is"),
        "statement": ("Statement of account", "Lender's core system", "The amounts due and unpaid"),
        "contract_title": "Consumer credit contract",
        "identity_title": "Identity document — copy for the court",
        "statement_title": "Statement of account",
    },
    "zh": {
        "court": "上海市浦东新区人民法院",
        "place": "丁香路1号 第三法庭",
        "lawyer": "张氏律师事务所",
        "contract": ("已签署的借款合同", "出借人电子签约平台", "借款事实、金额及约定"),
        "identity": ("借款人身份证复印件", "开户时采集", "借款人身份"),
        "statement": ("账户对账单", "出借人核心系统", "应还未还金额"),
        "contract_title": "消费信贷合同",
        "identity_title": "身份证明（供法院使用的复印件）",
        "statement_title": "账户对账单",
    },
}
