# ruff: noqa: E501 - letter text: Chinese lines are wrapped for reading, not to a column
"""默认中文函件文本：按函件种类给出（标题, 正文）。均为沙箱模板（见 docs/letters.md）。"""

import re

TEXTS = {
    "overdue_notice": (
        "逾期还款通知书",
        """<p>尊敬的{{ borrower.name }}：</p>
<p>经核查，您名下借款账户（账号：{{ account_numbers|join("、") }}）应于{{ oldest_due_on|date("long") }}偿还的款项至今尚未归还，
现已逾期{{ days_past_due }}天，逾期应还金额合计{{ amounts.total|money(currency) }}，明细详见下表。</p>
<p>如您已还款，请忽略本通知，感谢您的配合。如尚未还款，请于{{ deadline|date("long") }}前通过下列指定渠道还清逾期款项，
并注明案件编号{{ case_number }}。及时还款可避免继续产生逾期罚息，并避免对您的个人信用记录造成不良影响。</p>
<p>如您因收入减少、患病等原因暂时还款困难，请致电{{ lender.phone }}与我们联系，我们将根据您的实际情况协商还款安排。</p>""",
    ),
    "formal_demand": (
        "催收函",
        """<p>{{ borrower.name }}先生/女士：</p>
<p>您在我司的借款账户（账号：{{ account_numbers|join("、") }}）自{{ oldest_due_on|date("long") }}起未按约定还款，
截至本函出具之日已逾期{{ days_past_due }}天。我司此前已多次提醒，但上述款项仍未归还。</p>
<p>根据您与我司签订的借款合同约定，现正式函告您：请于{{ deadline|date("long") }}前偿还逾期款项合计
{{ amounts.total|money(currency) }}（明细详见下表）。在逾期款项全部清偿之前，逾期罚息将按合同约定继续计收。</p>
<p>请务必通过下列指定渠道还款，并注明案件编号{{ case_number }}。如您对上述债务或其中任何部分有异议，
请于上述期限届满前以书面形式向我司提出并说明理由，我司将予以核实处理。</p>""",
    ),
    "final_notice": (
        "诉前最后催告函",
        """<p>{{ borrower.name }}先生/女士：</p>
<p>您在我司的借款账户（账号：{{ account_numbers|join("、") }}）已逾期{{ days_past_due }}天。
我司此前多次通过函件、电话等方式向您催收，您至今既未还款，亦未与我司达成还款安排。</p>
<p>现特向您发出最后催告：请于{{ deadline|date("long") }}前清偿逾期款项合计{{ amounts.total|money(currency) }}，
或在该日期前主动与我司联系协商还款方案。逾期仍未履行的，{{ lender.name }}将依法向人民法院提起诉讼，
要求您偿还全部剩余欠款{{ amounts.outstanding|money(currency) }}及相应利息、法律允许范围内的逾期罚息，
并承担诉讼费用等相关费用，届时不再另行通知。</p>
<p>诉讼可能导致法院作出对您不利的判决并予以强制执行。为避免上述后果，请立即通过下列指定渠道还款并注明案件编号
{{ case_number }}，或致电{{ lender.phone }}与我司联系。</p>
<p>如您认为您不负有该笔债务，请于上述期限届满前以书面形式告知我司。</p>""",
    ),
    "lawyers_letter": (
        "律师函",
        """<p>{{ borrower.name }}先生/女士：</p>
<p>{{ lender.law_firm }}受{{ lender.name }}（以下简称“委托人”）委托，就您拖欠借款一事，特致函如下：</p>
<p>经委托人告知并经本所律师审查相关材料，您与委托人签订借款合同后，未按合同约定履行还款义务。
您名下借款账户（账号：{{ account_numbers|join("、") }}）自{{ oldest_due_on|date("long") }}起逾期未还，
截至本函出具之日已逾期{{ days_past_due }}天，委托人虽多次催收，您仍未履行还款义务。
根据《中华人民共和国民法典》第六百七十五条、第六百七十六条之规定，借款人应当按照约定的期限返还借款，
未按照约定的期限返还借款的，应当按照约定或者国家有关规定支付逾期利息。</p>
<p>本所律师现受托郑重函告：请您于{{ deadline|date("long") }}前，通过委托人下列指定渠道偿还逾期款项合计
{{ amounts.total|money(currency) }}（明细详见下表），并注明案件编号{{ case_number }}。</p>
<p>如您逾期仍未履行，本所将根据委托人的授权，依法向有管辖权的人民法院提起诉讼，要求您偿还全部剩余欠款
{{ amounts.outstanding|money(currency) }}及相应利息、法律允许范围内的逾期罚息，并承担诉讼费、律师费等全部费用；
判决生效后仍不履行的，将依法申请强制执行。</p>
<p>如您希望协商还款方案或对债务有异议，请于上述期限届满前致电{{ lender.phone }}与委托人联系。</p>
<p>特此函告。</p>
<p>{{ lender.law_firm }}（受{{ lender.name }}委托）</p>""",
    ),
    "settlement_offer": (
        "和解还款方案通知书",
        """<p>尊敬的{{ borrower.name }}：</p>
<p>您名下借款账户（账号：{{ account_numbers|join("、") }}）目前剩余欠款合计{{ amounts.outstanding|money(currency) }}。
为帮助您尽快解决欠款问题，{{ lender.name }}同意：您一次性偿还<strong>{{ settlement.amount|money(currency) }}</strong>，
即视为全部结清该笔债务，其余{{ settlement.waived|money(currency) }}予以减免。</p>
<p>本方案有效期至{{ settlement.valid_until|date("long") }}。如您接受本方案，请于该日期前通过下列指定渠道一次性足额还款，
并注明案件编号{{ case_number }}。我司收到款项后，将按结清处理您的账户，并向您出具确认函件。</p>
<p>如您未在上述期限内足额还款，本方案自动失效，您仍须偿还全部欠款。在您按上述方式接受本方案之前，
我司依据借款合同享有的各项权利不因本通知而放弃。</p>""",
    ),
    "arrangement_confirmation": (
        "还款安排确认书",
        """<p>尊敬的{{ borrower.name }}：</p>
{% if arrangement %}<p>现确认您与我司就借款账户（账号：{{ account_numbers|join("、") }}）达成的还款安排。
您应还款合计{{ arrangement.total_to_pay|money(currency) }}，具体安排如下：</p>
<ul>
{% for item in arrangement.installments %}<li>第{{ item.number }}期：{{ item.due_on|date("long") }}前还款{{ item.amount|money(currency) }}</li>
{% endfor %}</ul>
{% if arrangement.concession %}<p>如您按期足额履行上述每一期还款，{{ lender.name }}同意减免{{ arrangement.concession|money(currency) }}。</p>{% endif %}
{% else %}<p>现确认您与我司就借款账户（账号：{{ account_numbers|join("、") }}）达成的还款安排。</p>{% endif %}
<p>请您按期通过下列指定渠道还款，并注明案件编号{{ case_number }}。在您按约履行期间，我司将暂停对该账户的其他催收措施。
如您未按期还款，本安排可能被取消，全部剩余欠款将立即到期应付。</p>
<p>如您的情况发生变化，请在还款日之前致电{{ lender.phone }}与我们联系。</p>""",
    ),
    "payoff_certificate": (
        "结清证明",
        """<p>兹证明：</p>
<p>{{ borrower.name }}在{{ lender.name }}的借款账户（账号：{{ account_numbers|join("、") }}，案件编号：{{ case_number }}）
项下的全部应还款项均已结清{% if payoff.paid_off_on %}，最后一笔还款于{{ payoff.paid_off_on|date("long") }}到账{% endif %}。</p>
<p>截至{{ issued_on|date("long") }}，该账户项下已无未还本金、利息、逾期罚息及费用，{{ lender.name }}对{{ borrower.name }}
就该账户不再享有任何债权。该账户的结清信息将在下一次月度报送时报送征信机构。</p>
<p>本证明应借款人申请出具。</p>
<p>特此证明。</p>""",
    ),
    "assignment_notice": (
        "债权转让通知书",
        """<p>{{ borrower.name }}先生/女士：</p>
<p>根据《中华人民共和国民法典》第五百四十五条、第五百四十六条之规定，现通知您：{{ lender.name }}已将其对您享有的
借款账户（账号：{{ account_numbers|join("、") }}）项下的全部债权及相关从权利，自{{ assignment.assigned_on|date("long") }}起
转让给{{ assignment.assignee_name }}，转让时剩余欠款合计{{ amounts.outstanding|money(currency) }}。</p>
<p>本次债权转让不改变您的欠款金额及借款合同的其他条款。您对{{ lender.name }}享有的抗辩，可以向{{ assignment.assignee_name }}主张。</p>
<p>在{{ assignment.assignee_name }}另行书面通知其收款方式之前，请您继续通过下列指定渠道还款，并注明案件编号{{ case_number }}。
如有任何人以此笔债务为由要求您向其他账户付款，请先致电{{ lender.phone }}向我们核实。</p>
<p>特此通知。</p>""",
    ),
}

# The source wraps long Chinese lines for reading; in the letter a line break
# between two Chinese characters would print as a space, so it is joined.
TEXTS = {kind: (subject, re.sub(r"\n(?![<{])", "", body)) for kind, (subject, body) in TEXTS.items()}
