"""Reference tables: CBS message identifiers (3GPP TS 23.041 §9.4.1.2.2, D109), ISO 639-1 languages, radio access
technologies and CBS channels. The identifier table is the default of ``cbc.message_identifier_labels``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IdentifierLabel:
    """What a CBS message identifier means: its warning system (ETWS, CMAS, operator) and label."""

    system: str
    label: str


_CMAS = (
    "Presidential Level Alert",
    "Extreme alert (urgency Immediate, certainty Observed)",
    "Extreme alert (urgency Immediate, certainty Likely)",
    "Extreme alert (urgency Expected, certainty Observed)",
    "Extreme alert (urgency Expected, certainty Likely)",
    "Severe alert (urgency Immediate, certainty Observed)",
    "Severe alert (urgency Immediate, certainty Likely)",
    "Severe alert (urgency Expected, certainty Observed)",
    "Severe alert (urgency Expected, certainty Likely)",
    "Child Abduction Emergency (AMBER)",
    "Required Monthly Test",
    "Exercise",
    "Operator defined use",
)


def _ts_23041() -> dict[str, IdentifierLabel]:
    table = {
        "4352": IdentifierLabel("ETWS", "Earthquake warning"),
        "4353": IdentifierLabel("ETWS", "Tsunami warning"),
        "4354": IdentifierLabel("ETWS", "Earthquake and tsunami warning"),
        "4355": IdentifierLabel("ETWS", "Test message"),
        "4356": IdentifierLabel("ETWS", "Other emergency"),
        **{str(i): IdentifierLabel("ETWS", "Future extension") for i in range(4357, 4360)},
    }
    for offset, label in enumerate(_CMAS):
        table[str(4370 + offset)] = IdentifierLabel("CMAS", label)
        table[str(4383 + offset)] = IdentifierLabel("CMAS", f"{label}, additional language")
    table["4396"] = IdentifierLabel("CMAS", "Public Safety Alert")
    table["4397"] = IdentifierLabel("CMAS", "Public Safety Alert, additional language")
    table["4398"] = IdentifierLabel("CMAS", "State/Local WEA Test")
    table["4399"] = IdentifierLabel("CMAS", "State/Local WEA Test, additional language")
    return table


DEFAULT_IDENTIFIERS: dict[str, IdentifierLabel] = _ts_23041()
TEST_IDENTIFIERS = frozenset({"4380", "4381", "4393", "4394"})  # D109: tests use these, never 4379 (AMBER)

RAT_TYPES = ("LTE", "5G", "UMTS", "GSM")
DEFAULT_CHANNELS = ("basic", "extended")  # the CBSP Channel Indicator (TS 48.049): basic or extended channel

ISO_639_1 = frozenset(
    """aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee
    el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it
    iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my
    na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn
    so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh
    zu""".split()
)
