"""The language cases: negation, contrast, persistence, hedges, the actor, spellings."""

from __future__ import annotations

import re

import pytest

from classify.actors import foreign_led
from classify.baseline import Trend
from classify.cues import _granted
from classify.lexicon import (
    BACKGROUND,
    CESSATION_BEFORE,
    DENIAL_AFTER,
    DPRK_MENTION,
    GENERIC_LOOSENING,
    GENERIC_REAFFIRMATION,
    GENERIC_TIGHTENING,
    HEDGE,
    NEGATION_BEFORE,
    PERSISTENCE,
    PERSISTENCE_BEFORE,
    RESTATEMENT,
    SINCE_BEFORE,
)
from classify.rules import CLASSIFIER_VERSION, RuleClassifier, item_relation, relation_to
from classify.types import (
    Assessment,
    ClassifierInput,
    DimensionSignal,
    Direction,
    Relation,
)


def _assess(classifier: RuleClassifier, text: str, title: str = "") -> Assessment:
    return classifier.assess(ClassifierInput(id="x", title=title, text=text))


def _signal(assessment: Assessment, dimension: str) -> DimensionSignal:
    found = [s for s in assessment.signals if s.dimension == dimension]
    assert found, f"no {dimension} signal in {assessment.dimensions}"
    return found[0]


def _assert_reads(
    classifier: RuleClassifier, title: str, text: str, direction: Direction, dimension: str
) -> None:
    """The item is relevant and moves in ``direction``, on ``dimension`` among others."""
    a = _assess(classifier, text, title=title)
    assert a.relevant and a.direction is direction
    assert _signal(a, dimension).direction is direction


def test_granted_trade_authority_departs_from_centralising_baseline(
    classifier: RuleClassifier,
) -> None:
    a = _assess(
        classifier,
        "North Korea has granted independent trade authority to major trading companies. "
        "Negotiation teams of up to ten members may now travel abroad.",
    )
    assert a.relevant and a.direction is Direction.LOOSENING
    assert a.relation is Relation.DEPARTS
    authority = _signal(a, "trade_authority")
    assert authority.direction is Direction.LOOSENING
    assert authority.relation is Relation.DEPARTS
    assert authority.baseline_stance == "centralizing"
    assert authority.reported_stance == "decentralizing"
    assert _signal(a, "negotiation_delegations").direction is Direction.LOOSENING
    assert a.baseline_version == "2024.37" and a.classifier_version == CLASSIFIER_VERSION


def test_negated_loosening_restates_the_restriction(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "In North Korea, lower-level companies still cannot trade independently. "
        "They still cannot trade on their own, a source in Sinuiju said.",
    )
    authority = _signal(a, "trade_authority")
    assert authority.direction is Direction.REAFFIRMATION
    assert authority.relation is Relation.CONFIRMS
    assert any(c.startswith("not ") for ev in authority.evidence for c in ev.cues)


def test_persisting_surveillance_confirms_state_oversight(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "Pyongyang eased some rules for trading companies. However, surveillance of trade "
        "officials by security agencies remains intense and oversight continues.",
    )
    oversight = _signal(a, "state_oversight")
    assert oversight.direction is Direction.REAFFIRMATION
    assert oversight.relation is Relation.CONFIRMS


def test_foreign_customs_crackdown_is_not_a_dprk_tightening(
    classifier: RuleClassifier,
) -> None:
    a = _assess(
        classifier,
        "Chinese customs have stepped up inspections of cargo bound for North Korea. "
        "China's customs authorities also tightened border checks at Dandong.",
    )
    assert not a.relevant
    assert a.relation is Relation.UNRELATED and a.direction is Direction.NONE


def test_dprk_action_in_the_same_item_still_counts(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "Chinese customs have stepped up inspections of cargo bound for North Korea. "
        "North Korean authorities sealed the border at Hyesan and arrested smugglers.",
    )
    border = _signal(a, "border_customs")
    assert border.direction is Direction.TIGHTENING
    assert all("Chinese customs" not in ev.sentence for ev in border.evidence)


def test_another_countrys_trade_measure_is_unrelated(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "South Korea's trade ministry tightened export controls on Russia and banned "
        "shipments of machine tools.",
    )
    assert not a.relevant and a.relation is Relation.UNRELATED


def test_dprk_without_trade_content_is_unrelated(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "North Korea fired two ballistic missiles into the sea, Seoul's military said. "
        "Kim Jong Un watched the launch.",
    )
    assert not a.relevant


def test_spellings_of_places_and_the_country(classifier: RuleClassifier) -> None:
    for text in (
        "Customs in Sinŭiju reopened and trucks crossed the bridge from Dandong.",
        "The North reopened the customs post and trucks crossed into Rajin-Sonbong.",
        "N. Korea reopened customs and trucks crossed the bridge.",
    ):
        a = _assess(classifier, text)
        assert a.relevant, text
        assert _signal(a, "border_customs").direction is Direction.LOOSENING, text


def test_concession_weighs_less_than_the_main_clause(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "Although North Korea reopened the border to some freight, the authorities cracked "
        "down on smuggling and arrested smugglers at the border.",
    )
    border = _signal(a, "border_customs")
    assert border.direction is Direction.TIGHTENING


def test_mixed_item_keeps_both_signals(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "North Korea granted trading rights to ministry firms. "
        "At the same time the Ministry of State Security intensified surveillance of "
        "trade officials abroad.",
    )
    assert _signal(a, "trade_authority").direction is Direction.LOOSENING
    assert _signal(a, "state_oversight").direction is Direction.TIGHTENING
    assert a.relation is Relation.DEPARTS  # departures are listed first in the digest


def test_restatement_is_a_reaffirmation(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "The Rodong Sinmun urged self-reliance and an independent national economy, "
        "saying the DPRK would defeat sanctions with its own resources.",
    )
    assert a.direction is Direction.REAFFIRMATION and a.relation is Relation.CONFIRMS


def test_evidence_sentences_are_verbatim(classifier: RuleClassifier) -> None:
    text = (
        "Trade between China and North Korea rose 40 percent, according to figures. "
        "Pyongyang’s customs at Sinŭiju reopened on Monday."
    )
    a = _assess(classifier, text, title="Trade rebounds")
    assert a.evidence
    for sentence in a.evidence:
        assert sentence in text or sentence == "Trade rebounds"


def test_hedged_claim_scores_lower(classifier: RuleClassifier) -> None:
    plain = _assess(
        classifier, "North Korea sealed the border with China. Smugglers were arrested."
    )
    hedged = _assess(
        classifier,
        "North Korea may have sealed the border with China. Smugglers were reportedly arrested.",
    )
    assert plain.relevant and hedged.relevant
    plain_score = sum(s.score for s in plain.signals)
    hedged_score = sum(s.score for s in hedged.signals)
    assert hedged_score < plain_score


def test_confidence_is_a_probability(classifier: RuleClassifier) -> None:
    for text in ("North Korea sealed the border and arrested smugglers.", "Nothing here."):
        a = _assess(classifier, text)
        assert 0.0 <= a.confidence <= 1.0


def test_relation_rules() -> None:
    assert relation_to(Trend.TIGHTENING, Direction.LOOSENING) is Relation.DEPARTS
    assert relation_to(Trend.TIGHTENING, Direction.TIGHTENING) is Relation.CONFIRMS
    assert relation_to(Trend.LOOSENING, Direction.REAFFIRMATION) is Relation.CONFIRMS
    assert relation_to(Trend.STEADY, Direction.TIGHTENING) is Relation.DEPARTS
    assert relation_to(None, Direction.LOOSENING) is Relation.NEW
    new = DimensionSignal("tourism", Direction.LOOSENING, Relation.NEW, (), 1.0)
    confirms = DimensionSignal("x", Direction.TIGHTENING, Relation.CONFIRMS, (), 1.0)
    assert item_relation((new,)) is Relation.NEW
    assert item_relation((new, confirms)) is Relation.CONFIRMS
    assert item_relation(()) is Relation.UNRELATED


def test_ending_a_restriction_is_a_loosening(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "Authorities in Hyesan have stopped confiscating goods brought in by smugglers. "
        "North Korea also lifted the ban on private merchants selling imported rice at markets.",
    )
    assert a.relevant and a.direction is Direction.LOOSENING
    cues = [c for s in a.signals for ev in s.evidence for c in ev.cues]
    assert any(c.startswith("ended ") for c in cues), cues


def test_may_now_grants_rather_than_hedges(classifier: RuleClassifier) -> None:
    text = (
        "North Korean trading companies {} sign contracts independently and keep part of "
        "their earnings."
    )
    granted = _assess(classifier, text.format("may now"))
    hedged = _assess(classifier, text.format("may"))
    assert granted.relevant and granted.direction is Direction.LOOSENING
    # the hedge weighs the same cues less; "may now" does not
    assert granted.signals[0].score == 2.0
    assert hedged.signals[0].score < granted.signals[0].score


def test_restated_restriction_confirms_rather_than_tightens(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "KCNA reaffirmed the import substitution drive and reiterated the ban on imported "
        "goods in North Korea.",
    )
    assert a.relevant and a.direction is Direction.REAFFIRMATION
    assert a.relation is Relation.CONFIRMS


def test_watch_topic_yields_new(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "North Korea has reopened to Chinese tourists and resumed group tours through "
        "Sinuiju. Travel agencies in Dandong say the first tour groups arrive next week.",
        title="Pyongyang welcomes back foreign tourists",
    )
    assert a.relevant
    tourism = _signal(a, "tourism")
    assert tourism.relation is Relation.NEW and tourism.direction is Direction.LOOSENING
    assert tourism.baseline_stance is None


def test_watch_topic_alone_on_an_item_makes_it_new(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "The DPRK designated a new export processing zone near Nampho and is inviting foreign "
        "investors to form joint ventures under a revised investment law.",
    )
    assert a.relevant and a.relation is Relation.NEW
    assert _signal(a, "sez_investment").relation is Relation.NEW


def test_watch_topics_do_not_reach_other_countries(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "Vietnam reopened its resorts to foreign tourists and invited foreign investors "
        "to a new special economic zone.",
    )
    assert not a.relevant and a.relation is Relation.UNRELATED


def test_customs_statistics_are_not_border_policy(classifier: RuleClassifier) -> None:
    # "customs figures" names where the numbers come from; with "expanded" in the clause it
    # used to read as the border reopening: a false departure on border_customs.
    a = _assess(
        classifier,
        "Trade between North Korea and Russia expanded last year, according to customs "
        "figures. Pyongyang has sought to diversify its trade partners away from China.",
    )
    assert "border_customs" not in a.dimensions
    assert a.relation is Relation.CONFIRMS
    partners = _signal(a, "trade_partners")
    assert partners.direction is Direction.LOOSENING and partners.score == 2.0
    cited = _assess(
        classifier,
        "North Korea's exports grew and imports expanded in October, Chinese customs data "
        "show, and the General Administration of Customs said trade rose.",
    )
    assert "border_customs" not in cited.dimensions


def test_customs_posts_are_still_border_policy(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "North Korea reopened its customs post at Wonjong. Customs officials eased "
        "inspections of trucks.",
    )
    border = _signal(a, "border_customs")
    assert border.direction is Direction.LOOSENING and border.relation is Relation.DEPARTS


def test_control_over_trade_is_not_a_partners_loosening(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "Kim Jong Un ordered officials to strengthen the state's control over trade. "
        "Inspectors will tighten supervision of trading companies.",
    )
    assert "trade_partners" not in a.dimensions
    assert _signal(a, "state_oversight").direction is Direction.TIGHTENING
    ties = _assess(
        classifier,
        "North Korea and China agreed to strengthen trade ties. Exports to China expanded.",
    )
    assert _signal(ties, "trade_partners").direction is Direction.LOOSENING


def test_signing_an_economic_agreement_widens_partners(classifier: RuleClassifier) -> None:
    # Signing used to be a negotiation-delegations loosening, so every signing departed from
    # the baseline, a sports accord included.
    deal = _assess(
        classifier,
        "Russia and North Korea signed an agreement to expand trade and economic "
        "cooperation, KCNA said.",
        title="Russia, North Korea sign deal to expand trade",
    )
    assert deal.relation is Relation.CONFIRMS
    assert deal.dimensions == ["trade_partners"]
    sports = _assess(
        classifier,
        "North Korea and Laos signed an agreement on cooperation in sports and youth "
        "exchanges, KCNA said.",
        title="North Korea signs sports agreement with Laos",
    )
    assert not sports.relevant and sports.relation is Relation.UNRELATED


def test_a_source_in_a_border_town_is_not_border_news(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "North Korea has allowed trading companies to sign contracts with Chinese "
        "firms on their own, sources in Sinuiju said.",
        title="North Korea lets firms sign deals on their own",
    )
    assert a.dimensions == ["trade_authority"]
    markets = _assess(
        classifier,
        "Authorities in Hyesan have stopped confiscating flour brought in by licensed traders "
        "and now let private merchants sell imported grain at the market, residents said.",
        title="N. Korea loosens grip on grain imports, lets traders bring in Chinese flour",
    )
    assert markets.dimensions == ["markets_and_traders"]
    crossing = _assess(
        classifier,
        "North Korea reopened the bridge crossing at Sinuiju, and trucks crossed from "
        "Dandong again.",
    )
    assert _signal(crossing, "border_customs").relation is Relation.DEPARTS


def test_no_sign_of_reopening_is_not_a_reopening(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "There is no sign that North Korea will reopen its border with China to "
        "ordinary traffic any time soon, traders in Dandong said.",
        title="No sign N. Korea will reopen border soon",
    )
    border = _signal(a, "border_customs")
    assert border.direction is Direction.REAFFIRMATION
    assert a.relation is Relation.CONFIRMS


def test_yet_to_resume_is_not_a_resumption(classifier: RuleClassifier) -> None:
    # The clause splitter used to cut "has yet to resume" at "yet", leaving "resume ..."
    # without its negation: a border loosening that departed.
    a = _assess(
        classifier,
        "North Korea has yet to resume passenger train service to Beijing. It has yet "
        "to resume freight service to Dandong either, a railway official said.",
        title="N. Korea has yet to resume passenger trains",
    )
    assert a.relation is not Relation.DEPARTS
    assert all(s.direction is not Direction.LOOSENING for s in a.signals)


def test_permitted_again_is_border_news_only_for_what_crosses(
    classifier: RuleClassifier,
) -> None:
    changers = _assess(
        classifier,
        "North Korean authorities are again tolerating private money changers in "
        "Pyongyang markets after a two-year crackdown, sources said.",
        title="North Korea permits private money changers again",
    )
    assert "border_customs" not in changers.dimensions
    trucks = _assess(
        classifier,
        "North Korea permitted Chinese trucks to enter Sinuiju again. Customs officials "
        "reopened the freight terminal.",
    )
    assert _signal(trucks, "border_customs").direction is Direction.LOOSENING


def test_longer_market_hours_are_not_longer_customs_hours(classifier: RuleClassifier) -> None:
    market = _assess(
        classifier,
        "North Korea has extended market opening hours in Pyongyang and allowed traders to "
        "sell industrial goods, sources said.",
    )
    assert "border_customs" not in market.dimensions
    customs = _assess(
        classifier,
        "North Korea extended the working hours of the customs office at the bridge, and "
        "trucks crossed until late evening.",
    )
    assert _signal(customs, "border_customs").direction is Direction.LOOSENING


def test_the_trade_ministry_named_is_not_news_about_who_may_trade(
    classifier: RuleClassifier,
) -> None:
    a = _assess(
        classifier,
        "DPRK Minister of External Economic Relations Yun Jong Ho met the Chinese ambassador, "
        "and the two sides discussed expanding bilateral trade. They agreed to expand "
        "economic cooperation, KCNA reported.",
        title="DPRK trade minister meets Chinese ambassador",
    )
    assert "trade_authority" not in a.dimensions
    assert a.relation is Relation.CONFIRMS


def test_opening_a_customs_post_is_a_border_loosening(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "North Korea opened a new customs and quarantine facility at Tumangang to handle "
        "freight traffic with Russia, KCNA said. Trucks began crossing the new road bridge.",
        title="North Korea opens new customs post on Russian border",
    )
    border = _signal(a, "border_customs")
    assert border.direction is Direction.LOOSENING and border.relation is Relation.DEPARTS


def test_a_foreign_country_acting_alone_is_not_dprk_policy(classifier: RuleClassifier) -> None:
    # A bare country name as the subject was not recognised as a foreign actor: China's halt
    # departed from the partners baseline as if Pyongyang had narrowed its trade.
    halt = _assess(
        classifier,
        "China suspended trade with North Korea and halted all shipments across the border "
        "to comply with UN sanctions, Chinese officials said.",
        title="China halts trade with North Korea over sanctions",
    )
    assert halt.relation is Relation.UNRELATED and halt.signals == ()
    japan = _assess(
        classifier,
        "Japan extended its unilateral sanctions on North Korea for two more years, banning "
        "all imports and exports, the chief cabinet secretary said.",
        title="Japan extends sanctions on North Korea",
    )
    assert japan.relation is Relation.UNRELATED
    said = _assess(
        classifier,
        "On Monday, China said it would halt all imports from North Korea. China cut "
        "shipments across the border, officials said.",
        title="China to halt imports from North Korea",
    )
    assert said.relation is Relation.UNRELATED
    both = _assess(
        classifier,
        "Trade between North Korea and China seems to be resuming, and trucks crossed the "
        "bridge to Sinuiju. China's exports to North Korea rose in March.",
        title="Trucks cross the Friendship Bridge again",
    )
    assert _signal(both, "border_customs").direction is Direction.LOOSENING
    assert _signal(both, "trade_partners").direction is Direction.LOOSENING


def test_words_that_only_start_like_a_cue_do_not_match(classifier: RuleClassifier) -> None:
    # "sever" matched "several", "shut" matched "shuttle", "block" matched "blockchain".
    officials = _assess(
        classifier,
        "Several new trade officials flew to China in December, and North Korea granted "
        "trading companies independent trade authority.",
        title="North Korea grants trading companies independent trade authority",
    )
    assert "trade_partners" not in officials.dimensions
    for text in ("a shuttle bus", "blockchain firms"):
        assert GENERIC_TIGHTENING.search(text) is None, text
    for text in ("shut down", "a shutdown", "blocked", "a blockade", "blocks"):
        assert GENERIC_TIGHTENING.search(text) is not None, text


def test_eastern_and_closely_are_not_easing_and_closing(classifier: RuleClassifier) -> None:
    eastern = _assess(
        classifier,
        "Residents of North Korea's eastern border towns along the Tumen River describe long "
        "winters. The eastern border area has few roads, a resident said.",
        title="Life in North Korea's eastern border towns",
    )
    assert eastern.relation is Relation.UNRELATED
    closely = _assess(
        classifier,
        "North Korean officials said they would keep closely watching the border situation. "
        "Relations with China are closely watched.",
        title="North Korea and China: closer to the border",
    )
    assert closely.relation is Relation.UNRELATED
    eased = _assess(
        classifier,
        "North Korea eased border restrictions on Chinese traders this week and relaxed "
        "customs checks, sources said.",
        title="North Korea eases border restrictions",
    )
    assert _signal(eased, "border_customs").relation is Relation.DEPARTS


def test_banks_important_and_closely_are_not_cues(classifier: RuleClassifier) -> None:
    banks = _assess(
        classifier,
        "North Korea's state banks now accept foreign currency deposits from traders. Banks "
        "in Pyongyang also trade foreign currency with private money changers.",
        title="State banks in North Korea accept foreign currency",
    )
    assert all(s.direction is not Direction.TIGHTENING for s in banks.signals)
    closely = _assess(
        classifier,
        "North Korean officials said they work closely with trading companies and have "
        "closely watched markets in Pyongyang. It is important to sell directly, they said.",
        title="Officials work closely with trading companies",
    )
    cues = [c for s in closely.signals for ev in s.evidence for c in ev.cues]
    assert cues == ["sell directly"]  # the one real cue; nothing read into "closely"/"important"


def test_the_month_of_may_is_not_a_hedge(classifier: RuleClassifier) -> None:
    dated = _assess(
        classifier,
        "In May, North Korea granted independent trade authority to major trading companies. "
        "On May 12 they began to trade independently.",
    )
    hedged = _assess(
        classifier,
        "North Korea may grant independent trade authority to major trading companies. "
        "They may trade independently.",
    )
    assert _signal(dated, "trade_authority").score > _signal(hedged, "trade_authority").score


def test_sanctions_relief_is_not_tolerated_evasion(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "North Korea said talks on the lifting of sanctions had stalled, and accused "
        "Washington of refusing to ease sanctions.",
        title="Talks on lifting sanctions stall",
    )
    assert a.relation is Relation.UNRELATED
    evasion = _assess(
        classifier,
        "North Korea evaded sanctions through ship-to-ship transfers of oil, a UN panel said.",
        title="North Korea evades sanctions at sea",
    )
    assert _signal(evasion, "sanctions_evasion").direction is Direction.LOOSENING


def test_an_eased_crackdown_is_a_loosening_whichever_side_the_verb_is(
    classifier: RuleClassifier,
) -> None:
    a = _assess(
        classifier,
        "Market vendors in Hyesan have resumed selling Chinese goods after the authorities "
        "eased a months-long crackdown, a source in Ryanggang Province said.",
        title="Women traders return to the Hyesan market as the crackdown eases",
    )
    markets = _signal(a, "markets_and_traders")
    assert markets.direction is Direction.LOOSENING
    assert {"ended crackdown"} <= {c for ev in markets.evidence for c in ev.cues}
    # The market of a border town is not border news.
    assert "border_customs" not in a.dimensions


def test_a_restriction_named_as_a_date_is_background(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "North Korea's trading companies sent a delegation to Dalian, the first since the "
        "border was closed in January 2020. Officials stuck in China since the border closure "
        "returned home. The delegation of up to ten people will negotiate contracts.",
    )
    assert "border_customs" not in a.dimensions
    assert _signal(a, "negotiation_delegations").direction is Direction.LOOSENING


def test_a_market_reopening_is_not_border_news(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "Residents of Sinuiju have been told that a wholesale market for imported goods will "
        "reopen next month, and that vendors who rented stalls before may return, sources said.",
        title="North Korea to reopen Sinuiju wholesale market",
    )
    assert "border_customs" not in a.dimensions


def test_a_crackdown_after_months_of_tolerance_is_no_tolerance(
    classifier: RuleClassifier,
) -> None:
    a = _assess(
        classifier,
        "North Korean border guards have resumed a crackdown on smuggling along the Yalu River "
        "after several months of tolerance, sources in North Pyongan Province said. Several "
        "smugglers were arrested last week.",
        title="Pyongyang cracks down on smuggling along the Yalu after brief tolerance",
    )
    assert "sanctions_evasion" not in a.dimensions
    assert a.direction is Direction.TIGHTENING


def test_dollars_handed_to_the_state_and_licences_revoked_confirm(
    classifier: RuleClassifier,
) -> None:
    a = _assess(
        classifier,
        "North Korea's cabinet has ordered all trading companies to hand over the dollars they "
        "earned abroad to state banks. Companies that fail to comply will have their trade "
        "licences revoked, sources in Pyongyang said.",
    )
    assert _signal(a, "fx_earning").direction is Direction.TIGHTENING
    assert _signal(a, "trade_authority").direction is Direction.TIGHTENING
    assert a.relation is Relation.CONFIRMS


# Reports that move one dimension: (title, text, dimension, its direction, its relation).
ONE_DIMENSION_MOVES = [
    pytest.param(
        "Trading firms no longer have to route deals through the ministry",
        (
            "North Korean trading companies no longer have to route their deals through "
            "the Ministry of External Economic Relations, sources in Pyongyang said."
        ),
        "trade_authority",
        Direction.LOOSENING,
        Relation.DEPARTS,
        id="no_longer_routing_deals_through_the_ministry_departs",
    ),
    pytest.param(
        "Pyongyang tells trading firms to route contracts through central ministries",
        (
            "North Korea's cabinet ordered trading companies to route all contracts "
            "through central ministries, traders in Sinuiju said."
        ),
        "trade_authority",
        Direction.TIGHTENING,
        Relation.CONFIRMS,
        id="contracts_routed_through_central_ministries_confirm_recentralisation",
    ),
    pytest.param(
        "North Korea hikes fees trading companies pay to the state",
        (
            "North Korea has raised the loyalty payments trading companies must hand over "
            "to the state by around 20 percent, sources inside the country said."
        ),
        "fx_earning",
        Direction.TIGHTENING,
        Relation.CONFIRMS,
        id="raised_loyalty_payments_press_foreign_currency_earning",
    ),
    pytest.param(
        "",
        (
            "North Korea reopened the customs post at Namyang to freight on Monday. "
            "Customs facilities at the bridge reopened after three years, traders said."
        ),
        "border_customs",
        Direction.LOOSENING,
        Relation.DEPARTS,
        id="a_customs_post_reopening_is_still_border_news",
    ),
    pytest.param(
        "North Korea executes trade official for embezzling foreign currency",
        (
            "A senior official of a trading company was publicly executed in Pyongyang for "
            "embezzling foreign currency, a source said."
        ),
        "state_oversight",
        Direction.TIGHTENING,
        Relation.CONFIRMS,
        id="an_execution_for_embezzlement_is_oversight",
    ),
]


@pytest.mark.parametrize(
    ("title", "text", "dimension", "direction", "relation"), ONE_DIMENSION_MOVES
)
def test_a_report_moves_its_dimension(
    classifier: RuleClassifier,
    title: str,
    text: str,
    dimension: str,
    direction: Direction,
    relation: Relation,
) -> None:
    signal = _signal(_assess(classifier, text, title=title), dimension)
    assert signal.direction is direction
    assert signal.relation is relation


# rules-7: cases met in items written blind (tests/data/blind*.jsonl)


def test_one_clear_move_is_enough_to_be_relevant(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "The cabinet has revoked the trading licences of more than 40 provincial companies, "
        "a source in Pyongyang said.",
    )
    assert a.relevant and a.direction is Direction.TIGHTENING
    assert _signal(a, "trade_authority").relation is Relation.CONFIRMS


def test_a_daily_nk_source_places_the_report_in_north_korea(classifier: RuleClassifier) -> None:
    text = (
        "Authorities have told trading companies to deposit all foreign currency they earn "
        "with the state bank within ten days, a source told {}."
    )
    assert _assess(classifier, text.format("Daily NK")).relevant
    assert not _assess(classifier, text.format("reporters")).relevant


def test_how_things_stood_before_weighs_little(classifier: RuleClassifier) -> None:
    text = "{}North Korea's cabinet revoked the trading licences of provincial companies."
    background = _assess(classifier, text.format("Until now, "))
    news = _assess(classifier, text.format("This week "))
    assert news.relevant and news.direction is Direction.TIGHTENING
    assert not background.relevant
    # a comparison with the past is the news, not background
    compared = _assess(
        classifier,
        "North Korea has tightened border controls on the Yalu more than during the pandemic.",
    )
    assert compared.relevant and compared.direction is Direction.TIGHTENING


def test_no_plans_to_reopen_restates_outright(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "A North Korean tourism official said there are no plans to reopen the country to "
        "Western tourists this year.",
    )
    assert a.relevant and a.direction is Direction.REAFFIRMATION
    assert _signal(a, "tourism").score == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "North Korean authorities have rolled back the ban on private currency exchange.",
        "Pyongyang is handing waku licences back to factories in a retreat from trade "
        "recentralisation.",
    ],
)
def test_rolling_back_or_retreating_from_a_restriction_loosens(
    classifier: RuleClassifier, text: str
) -> None:
    a = _assess(classifier, text)
    assert a.relevant and a.direction is Direction.LOOSENING


# rules-8: cases met in tests/data/blind4.jsonl


def test_a_move_reported_as_unfounded_confirms(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "Reports that North Korea relaxed rules for trade officials abroad proved unfounded, "
        "sources in Shenyang said.",
    )
    assert a.relevant and a.direction is Direction.REAFFIRMATION
    denied = _assess(
        classifier, "Dandong officials dismissed talk that North Korea will reopen the border."
    )
    assert denied.direction is not Direction.LOOSENING


@pytest.mark.parametrize(
    ("title", "text"),
    [
        pytest.param(
            "",
            "Officials in Hyesan are turning a blind eye to money changers who had been driven "
            "underground by a crackdown, and dealers again trade yuan openly.",
            id="had-been-is-background",
        ),
        pytest.param(
            "",
            "Police at the Hyesan market now take a small bribe from money changers rather "
            "than making arrests, and dealers trade dollars openly.",
            id="rather-than-negates",
        ),
        pytest.param(
            "Hyesan authorities allow vendors to sell Chinese goods again",
            "Vendors in Hyesan are again selling Chinese goods openly after local authorities "
            "dropped a rule on imported goods. In 2023 market managers were told to "
            "confiscate foreign-labelled goods from vendors.",
            id="clause-opening-with-a-past-year-is-background",
        ),
    ],
)
def test_a_restriction_that_is_not_the_news_leaves_the_loosening(
    classifier: RuleClassifier, title: str, text: str
) -> None:
    a = _assess(classifier, text, title=title)
    assert a.relevant and a.direction is Direction.LOOSENING
    assert all(s.direction is not Direction.TIGHTENING for s in a.signals)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "North Korea's plenum report repeated familiar language about diversifying foreign "
            "trade, with no new partners or targets.",
            id="a-restated-loosening",
        ),
        pytest.param(
            "North Korea continues to welcome foreign investment in the Rason zone under the "
            "existing law, an official said.",
            id="an-opening-that-carries-on",
        ),
        pytest.param(
            "North Korean authorities have reissued their instruction that grain be sold only "
            "through state grain shops, a source said.",
            id="a-reissued-order",
        ),
    ],
)
def test_the_line_restated_confirms_rather_than_moves(
    classifier: RuleClassifier, text: str
) -> None:
    a = _assess(classifier, text)
    assert a.relevant and a.direction is Direction.REAFFIRMATION


# rules-9: cases met in tests/data/blind6.jsonl


@pytest.mark.parametrize(
    ("title", "text"),
    [
        pytest.param(
            "Talk of restored enterprise trade rights 'groundless', say Sinuiju sources",
            "Rumours that large factories in North Korea would again be allowed to sign their "
            "own import contracts with Chinese firms have proved unfounded, sources said.",
            id="a-loosening-denied-at-the-end-of-a-long-clause",
        ),
        pytest.param(
            "",
            "Chinese factory managers are dismissing reports that Pyongyang had ordered all "
            "its workers in China home after the holiday.",
            id="a-tightening-dismissed",
        ),
    ],
)
def test_a_denied_report_confirms_the_line(
    classifier: RuleClassifier, title: str, text: str
) -> None:
    a = _assess(classifier, text, title=title)
    assert a.relevant and a.direction is Direction.REAFFIRMATION
    assert any(c.startswith("denied ") for s in a.signals for ev in s.evidence for c in ev.cues)


def test_a_generic_verb_beside_another_dimensions_cue_opens_no_signal(
    classifier: RuleClassifier,
) -> None:
    a = _assess(
        classifier,
        "North Korea has allowed a trade delegation of ten members to travel to Vladivostok to "
        "negotiate contracts with Russian firms, a source said.",
    )
    assert a.relevant and a.direction is Direction.LOOSENING
    # "allowed" is the delegation's news; the contracts it mentions put the clause on trade
    # authority too, but no trade-authority departure follows from that.
    assert _signal(a, "negotiation_delegations").direction is Direction.LOOSENING
    assert "trade_authority" not in a.dimensions


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        pytest.param(
            "A group of 32 Chinese tourists crossed into Rason on Saturday, the first package "
            "tour to the area in six years.",
            Direction.LOOSENING,
            id="the-first-in-six-years",
        ),
        pytest.param(
            "A new lecture document for North Korean trade officials says deals with capitalist "
            "countries should serve practical benefit, dropping earlier wording that required "
            "each deal to serve political interests.",
            Direction.LOOSENING,
            id="a-requirement-dropped",
        ),
        pytest.param(
            "Customs officers at Sinuiju have introduced tighter checks on Chinese trucks. "
            "The tighter customs inspections have slowed clearance, forwarders said.",
            Direction.TIGHTENING,
            id="tighter",
        ),
        pytest.param(
            "The Ministry of State Security has withdrawn the security officers it had "
            "stationed inside trading companies in Sinuiju, a source said.",
            Direction.LOOSENING,
            id="what-it-had-done-is-background",
        ),
        pytest.param(
            "Officials told an investment forum that the Rason zone remains 'open to all "
            "friendly investors' under its existing terms, with no new incentives.",
            Direction.REAFFIRMATION,
            id="remains-open",
        ),
        # rules-10: from tests/data/blind8.jsonl
        pytest.param(
            "Ban on importing 'domestically made' consumer goods lifted in North Korea, "
            "traders say.",
            Direction.LOOSENING,
            id="a-ban-lifted-a-few-words-later",
        ),
        pytest.param(
            "North Korean trading companies have been forbidden to sign contracts with "
            "capitalist firms, a source said.",
            Direction.TIGHTENING,
            id="forbidden",
        ),
        pytest.param(
            "The North Korean vice-minister repeated that the DPRK would diversify its trade "
            "with friendly countries, and the fair drew no new participating countries.",
            Direction.REAFFIRMATION,
            id="repeated-that",
        ),
        # rules-11: from tests/data/blind10.jsonl
        pytest.param(
            "North Korean trading companies have been instructed to do business only with a "
            "list of approved Chinese firms, a source in Sinuiju said.",
            Direction.TIGHTENING,
            id="only-with-a-list",
        ),
        pytest.param(
            "North Korean trading companies can now hold foreign-currency accounts at the "
            "Foreign Trade Bank and settle contracts in yuan directly with partners.",
            Direction.LOOSENING,
            id="foreign-currency-accounts",
        ),
        pytest.param(
            "A North Korean spokesperson said Pyongyang will never accept trade with political "
            "strings attached.",
            Direction.REAFFIRMATION,
            id="strings-attached",
        ),
    ],
)
def test_wordings_from_the_blind_sets(
    classifier: RuleClassifier, text: str, direction: Direction
) -> None:
    a = _assess(classifier, text)
    assert a.relevant and a.direction is direction


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "A North Korean trade delegation held closed-door meetings with investors at a "
            "Dandong hotel, offering tax holidays in the Hwanggumphyong zone.",
            id="closed-door",
        ),
        pytest.param(
            "The instruction names Japan and South Korea as hostile states with which no form "
            "of economic exchange can be permitted, and North Korean trading companies must "
            "stop importing their goods.",
            id="no-form-of-exchange-can-be-permitted",
        ),
    ],
)
def test_words_that_only_look_like_the_opposite_move(classifier: RuleClassifier, text: str) -> None:
    a = _assess(classifier, text)
    opposite = Direction.TIGHTENING if "tax holidays" in text else Direction.LOOSENING
    assert a.relevant and a.direction is not opposite
    assert all(s.direction is not opposite for s in a.signals)


def test_a_restatement_naming_no_dimension_confirms_the_one_around_it(
    classifier: RuleClassifier,
) -> None:
    a = _assess(
        classifier,
        "Tour operators say they have had no word of the Wonsan-Kalma resort opening beyond "
        "Russian groups. Nothing has changed, an agency manager said, and the existing "
        "arrangement will continue this season.",
    )
    assert a.relevant and a.direction is Direction.REAFFIRMATION
    tourism = _signal(a, "tourism")
    cues = {c for ev in tourism.evidence for c in ev.cues}
    assert "nothing has changed" in cues  # placed on the dimension the sentence before names
    # With no dimension anywhere in the item, a restatement has nothing to confirm.
    alone = _assess(
        classifier,
        "Nothing has changed in Pyongyang, a resident said after the national holiday. The "
        "existing arrangement will continue.",
    )
    assert not alone.relevant


# rules-11: cases met in tests/data/blind10.jsonl


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "North Korea fired missiles into the East Sea. The missiles flew about 350 "
            "kilometres, the JCS said, adding that the military had strengthened surveillance.",
            id="the-south-korean-military-acts",
        ),
        pytest.param(
            "The number of North Korean defectors such as diplomats and trade officials rose "
            "slightly, the ministry said.",
            id="trade-officials-rose-is-not-trade",
        ),
        pytest.param(
            "North Korean trade union officials pledged to intensify ideological education "
            "among workers at the congress.",
            id="ideological-education-of-workers-at-home",
        ),
        pytest.param(
            "Youth League officials in North Korea have been checking students' phones for "
            "South Korean words, a source said.",
            id="students-phones",
        ),
        pytest.param(
            "North Korean shells landed in a former buffer zone north of the maritime border line.",
            id="a-military-buffer-zone",
        ),
    ],
)
def test_domestic_and_military_news_is_not_trade_policy(
    classifier: RuleClassifier, text: str
) -> None:
    assert not _assess(classifier, text).relevant


# rules-12 to rules-16: cases met in tests/data/blind12.jsonl, blind14.jsonl, blind16.jsonl,
# blind18.jsonl and blind20.jsonl


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        # "Close to" is near, not closing.
        pytest.param(
            GENERIC_TIGHTENING,
            "booths now trade close to market rates",
            False,
            id="close-to-market",
        ),
        pytest.param(
            GENERIC_TIGHTENING, "fertiliser exports fell close to zero", False, id="close-to-zero"
        ),
        pytest.param(
            GENERIC_TIGHTENING, "the authorities may close the border", True, id="close-the-border"
        ),
        # "Easing shortages" relieves them.
        pytest.param(
            GENERIC_LOOSENING,
            "aimed at easing shortages of daily goods",
            False,
            id="easing-shortages",
        ),
        pytest.param(
            GENERIC_LOOSENING, "aimed at easing the rules on imports", True, id="easing-rules"
        ),
        # Nobody saw it: a negation.
        pytest.param(
            NEGATION_BEFORE, "the survey found that none had seen any ", True, id="none-had-seen"
        ),
        # The event that dates a time ("since January 2020, when ..."), and what was done
        # in the years before the news: background.
        pytest.param(
            SINCE_BEFORE, "absent since january 2020, when pyongyang ", True, id="since-a-date-when"
        ),
        pytest.param(
            SINCE_BEFORE,
            "back at their stalls after two years in which dozens were ",
            True,
            id="years-in-which",
        ),
        pytest.param(SINCE_BEFORE, "the state police ", False, id="no-background"),
        # "May no longer be imported" forbids; it hedges nothing.
        pytest.param(HEDGE, "goods that may no longer be imported", False, id="may-no-longer"),
        pytest.param(HEDGE, "goods that may be imported", True, id="may-is-a-hedge"),
        # Reissuing licences hands rights back; reissuing instructions restates them.
        pytest.param(
            RESTATEMENT,
            "the ministry began reissuing import licences",
            False,
            id="reissuing-licences",
        ),
        pytest.param(
            RESTATEMENT, "the ministry reissued the instructions", True, id="reissued-instructions"
        ),
        pytest.param(
            GENERIC_REAFFIRMATION,
            "pyongyang keeps a tight cap on trade staff",
            True,
            id="tight-cap",
        ),
        pytest.param(
            GENERIC_REAFFIRMATION,
            "the number has remained roughly at last year's level",
            True,
            id="last-years-level",
        ),
        # A clause marking an anniversary is about what happened then.
        pytest.param(
            BACKGROUND, "concerts to mark the anniversary of the treaty", True, id="anniversary"
        ),
        # rules-13: from tests/data/blind14.jsonl
        pytest.param(PERSISTENCE_BEFORE, "the country would keep ", True, id="keep"),
        # rules-14: from tests/data/blind16.jsonl
        pytest.param(DENIAL_AFTER, "reports of a recall are not true", True, id="not-true"),
        # rules-15: from tests/data/blind18.jsonl
        pytest.param(
            DENIAL_AFTER, "the closure rumours turned out to be false", True, id="turned-out-false"
        ),
        pytest.param(
            GENERIC_LOOSENING, "the security agents look the other way", True, id="look-away"
        ),
        pytest.param(
            GENERIC_REAFFIRMATION, "officials said nothing would change", True, id="would-change"
        ),
        pytest.param(
            GENERIC_LOOSENING, "firms have been given permission to", True, id="given-permission"
        ),
        pytest.param(
            GENERIC_TIGHTENING,
            "gave instructions on strengthening embankments along the river",
            False,
            id="strengthening-embankments",
        ),
        pytest.param(
            GENERIC_REAFFIRMATION, "the section signalled continuity", True, id="continuity"
        ),
        pytest.param(GENERIC_REAFFIRMATION, "reminding traders that", True, id="reminding"),
        pytest.param(
            GENERIC_REAFFIRMATION,
            "under the existing restrictions",
            True,
            id="existing-restrictions",
        ),
        pytest.param(
            GENERIC_REAFFIRMATION, "no new penalties followed", True, id="no-new-penalties"
        ),
        pytest.param(
            GENERIC_REAFFIRMATION,
            "the wording mirrors statements issued since 2021",
            True,
            id="mirrors-statements",
        ),
        pytest.param(
            GENERIC_REAFFIRMATION,
            "loading followed patterns seen in previous years",
            True,
            id="patterns-seen-before",
        ),
        pytest.param(GENERIC_REAFFIRMATION, "small groups are still the norm", True, id="the-norm"),
        pytest.param(GENERIC_REAFFIRMATION, "the trade has stayed stable", True, id="stable"),
        pytest.param(
            GENERIC_REAFFIRMATION, "at a pace similar to the previous year", True, id="similar"
        ),
        pytest.param(
            GENERIC_REAFFIRMATION, "there have been no new arrivals", True, id="no-new-arrivals"
        ),
        pytest.param(
            DENIAL_AFTER, "the talk of a new system has come to nothing", True, id="come-to-nothing"
        ),
        pytest.param(BACKGROUND, "until late last year, teams were capped", True, id="late-last"),
        pytest.param(SINCE_BEFORE, "trips were popular before north korea ", True, id="before"),
        # "Banned under UN sanctions" names a legal status; a ban imposed is still a move.
        pytest.param(GENERIC_TIGHTENING, "goods banned under un sanctions", False, id="un-ban"),
        pytest.param(GENERIC_TIGHTENING, "the state banned imports of flour", True, id="a-ban"),
        # Reissuing a directive restates it; licences reissued are handed back.
        pytest.param(
            RESTATEMENT, "licences, known locally as waku, reissued", False, id="licences-reissued"
        ),
        pytest.param(
            RESTATEMENT, "the ministry reissued its instructions", True, id="instructions-reissued"
        ),
        # rules-17: a participle of place is no persistence; a rule kept in place is.
        pytest.param(PERSISTENCE, "including cash kept in china", False, id="kept-in-china"),
        pytest.param(PERSISTENCE, "controls were kept in place", True, id="kept-in-place"),
        pytest.param(SINCE_BEFORE, "allowed again after a two-year ", True, id="after-a-freeze"),
        pytest.param(SINCE_BEFORE, "police launched a new ", False, id="a-new-crackdown"),
        pytest.param(GENERIC_TIGHTENING, "it rejected the bid", True, id="rejected-a-bid"),
        pytest.param(
            GENERIC_TIGHTENING, "rejected the report as a fabrication", False, id="as-fabrication"
        ),
        pytest.param(
            RESTATEMENT, "about the same size as in the previous two years", True, id="same-size"
        ),
        pytest.param(DPRK_MENTION, "markets in south phyongan province", True, id="phyongan"),
        # rules-18
        pytest.param(GENERIC_TIGHTENING, "announced stepped-up patrols", True, id="stepped-up"),
        pytest.param(
            GENERIC_REAFFIRMATION, "the rules remain as they were", True, id="as-they-were"
        ),
        pytest.param(
            DENIAL_AFTER, "reports of a deal have not been borne out", True, id="not-borne-out"
        ),
        pytest.param(CESSATION_BEFORE, "ending a 2023 rule that ", True, id="ending-a-rule-that"),
        pytest.param(CESSATION_BEFORE, "a 2023 rule that ", False, id="a-rule-that"),
        # rules-19
        pytest.param(RESTATEMENT, "central bank repeats: exchange only", True, id="repeats-colon"),
        pytest.param(RESTATEMENT, "the cap on delegations will stay in place", True, id="in-place"),
        pytest.param(DPRK_MENTION, "trucks at the quanhe-wonjong crossing", True, id="wonjong"),
    ],
)
def test_the_wordings_since_rules_12(pattern: re.Pattern[str], text: str, matches: bool) -> None:
    assert (pattern.search(text) is not None) is matches


@pytest.mark.parametrize(
    ("title", "text", "direction"),
    [
        pytest.param(
            "",
            "North Korean buyers cancelled their orders after trading companies received a list "
            "of Chinese household goods that may no longer be imported, a Dandong wholesaler said.",
            Direction.TIGHTENING,
            id="may-no-longer-be-imported",
        ),
        pytest.param(
            "N. Korea reissues trade licences to provincial firms",
            "The ministry has begun reissuing import licences to provincial trading companies "
            "whose permits were suspended, a source said.",
            Direction.LOOSENING,
            id="reissuing-licences",
        ),
        pytest.param(
            "",
            "Private money changers have returned to the Sinuiju market, and state exchange booths "
            "now trade close to market rates, sources said.",
            Direction.LOOSENING,
            id="close-to-market-rates",
        ),
        pytest.param(
            "",
            "Chinese travel agencies have begun selling package tours to Wonsan, which had been "
            "off limits since January 2020, when Pyongyang sealed its borders.",
            Direction.LOOSENING,
            id="since-a-date-when",
        ),
        pytest.param(
            "",
            "Pyongyang keeps a tight cap on trade staff in China, and the rule stays, a Dandong "
            "representative said.",
            Direction.REAFFIRMATION,
            id="a-tight-cap",
        ),
        # rules-13: from tests/data/blind14.jsonl
        pytest.param(
            "Minister repeats diversification goal",
            "North Korea's trade minister said the country would keep diversifying its external "
            "economic relations, KCNA reported. The speech echoed earlier language and contained "
            "no new agreements.",
            Direction.REAFFIRMATION,
            id="would-keep-diversifying",
        ),
        pytest.param(
            "Tumen day trips to Namyang resume",
            "Chinese tourists can once again take half-day trips across the river to Namyang, a "
            "tour operator said. The trips were popular before North Korea shut its border in "
            "2020.",
            Direction.LOOSENING,
            id="before-the-border-was-shut",
        ),
        # rules-14: from tests/data/blind16.jsonl
        pytest.param(
            "Provincial firms get crab licences back",
            "Several provincial trading companies have been re-issued 'waku' licences to export "
            "crab, a source in Chongjin said.",
            Direction.LOOSENING,
            id="licences-re-issued",
        ),
        pytest.param(
            "Coal mines stripped of right to sell directly to China",
            "North Korean coal mines in South Phyongan that sold to Chinese buyers have lost "
            "their export rights, and all sales now go through a ministry corporation.",
            Direction.TIGHTENING,
            id="export-rights-lost",
        ),
        pytest.param(
            "Factories may import moulds again",
            "North Korea's Cabinet relaxed rules that required factories to make spare parts at "
            "home, and plants may now import Chinese moulds again, sources said.",
            Direction.LOOSENING,
            id="parts-no-longer-made-at-home",
        ),
        pytest.param(
            "Bakeries told to halve imported flour",
            "North Korea's food ministry ordered bakeries to halve their use of imported "
            "ingredients and replace them with domestic substitutes, a source said.",
            Direction.TIGHTENING,
            id="imported-ingredients-halved",
        ),
        pytest.param(
            "",
            "Garment plants in Hunchun received new teams of North Korean workers this month, "
            "sources in the city said.",
            Direction.LOOSENING,
            id="new-teams-of-workers",
        ),
        pytest.param(
            "Tumen road bridge opens to trucks",
            "The new road bridge between North Korea and Russia opened to truck traffic on Monday.",
            Direction.LOOSENING,
            id="opened-to-truck-traffic",
        ),
        pytest.param(
            "",
            "North Korea lifted a cap on Russian tourists at the Kalma resort this spring, a tour "
            "company said.",
            Direction.LOOSENING,
            id="tourist-cap-lifted",
        ),
        pytest.param(
            "",
            "Large trading companies have been given permission to arrange fuel deals on their "
            "own, a source in Nampho said.",
            Direction.LOOSENING,
            id="permission-to-trade-on-their-own",
        ),
        pytest.param(
            "Monitors: ship-to-ship transfers still run by the state",
            "A sanctions monitoring group said ship-to-ship transfers of oil to North Korean "
            "tankers continued through 2025 and remain state-run.",
            Direction.REAFFIRMATION,
            id="evasion-as-before",
        ),
        pytest.param(
            "",
            "Reports that Pyongyang had ordered its construction workers in Russia home are not "
            "true, sources in Vladivostok said.",
            Direction.REAFFIRMATION,
            id="a-recall-report-untrue",
        ),
        # rules-15: from tests/data/blind18.jsonl
        pytest.param(
            "",
            "North Korean trade officers who were recalled to Pyongyang last year have returned "
            "to their posts in Shenyang, Chinese partners said.",
            Direction.LOOSENING,
            id="back-at-their-posts",
        ),
        pytest.param(
            "",
            "North Korean trading firms have been ordered to double what they pay into the "
            "party's 'loyalty fund', a source in Pyongyang said.",
            Direction.TIGHTENING,
            id="loyalty-fund-doubled",
        ),
        pytest.param(
            "",
            "North Korea told shoe factories to halt purchases of Chinese rubber and switch to "
            "domestic materials, a source said.",
            Direction.TIGHTENING,
            id="switch-to-domestic",
        ),
        pytest.param(
            "Pyongyang caps consumer-goods imports",
            "North Korea's cabinet set a new ceiling on imports of soap and biscuits, a source "
            "said.",
            Direction.TIGHTENING,
            id="imports-capped",
        ),
        pytest.param(
            "",
            "Chinese investors in North Korea's Rason zone were told to wind up their joint "
            "ventures by December, NK News reported.",
            Direction.TIGHTENING,
            id="joint-ventures-wound-up",
        ),
        pytest.param(
            "Chongjin inspection team leaves early",
            "A central inspection group that had been auditing trading companies in Chongjin "
            "packed up and left weeks early, a source said, and companies may now call Chinese "
            "partners without a security official in the room.",
            Direction.LOOSENING,
            id="an-inspection-group-leaves",
        ),
        # rules-16: from tests/data/blind20.jsonl
        pytest.param(
            "",
            "A Yanji fish-processing company has signed a 15-year joint venture with a North "
            "Korean partner in the Rason zone, a city bulletin said.",
            Direction.LOOSENING,
            id="joint-venture-signed",
        ),
        pytest.param(
            "",
            "A Russian shipping group has agreed with North Korean partners to invest in a new "
            "grain terminal at Rajin port, the company said.",
            Direction.LOOSENING,
            id="agreed-to-invest",
        ),
        pytest.param(
            "",
            "North Korean customs at Namyang extended weekday hours to 8 p.m. this month, a "
            "source in North Hamgyong Province said.",
            Direction.LOOSENING,
            id="customs-hours-extended",
        ),
        pytest.param(
            "",
            "A Vietnamese trader signed the first coffee deal with North Korea in a decade, "
            "Vietnam's trade ministry said.",
            Direction.LOOSENING,
            id="first-deal-with-the-north",
        ),
        pytest.param(
            "",
            "Mongolia will start selling wool to North Korea under an economic protocol signed "
            "in Ulaanbaatar on Monday, Montsame reported.",
            Direction.LOOSENING,
            id="a-protocol-signed",
        ),
        pytest.param(
            "",
            "North Korea's Cabinet now allows shoe factories to import Chinese soles they had "
            "been told to make at home, a source in Sinuiju said.",
            Direction.LOOSENING,
            id="factories-allowed-to-import",
        ),
        pytest.param(
            "",
            "North Korea has sent some 200 more construction workers to Laos this year, a "
            "Vientiane developer said.",
            Direction.LOOSENING,
            id="workers-sent-to-laos",
        ),
        pytest.param(
            "",
            "North Korean builders started work on a hotel in Vladivostok in May, local media "
            "reported.",
            Direction.LOOSENING,
            id="builders-began-work",
        ),
        pytest.param(
            "",
            "North Korea cut the share of dollar earnings that trading firms hand to the state, "
            "a source in Pyongyang said.",
            Direction.LOOSENING,
            id="share-of-earnings-lowered",
        ),
        pytest.param(
            "",
            "North Korea ordered about 300 seamstresses working at garment plants in Dandong, "
            "Liaoning Province, to return home by April, managers said.",
            Direction.TIGHTENING,
            id="ordered-to-return-home",
        ),
        pytest.param(
            "",
            "North Korea sent only three officials to the Harbin trade fair this year, a Chinese "
            "agent said.",
            Direction.TIGHTENING,
            id="only-three-officials",
        ),
        pytest.param(
            "",
            "North Korea's security ministry has set up permanent offices inside several large "
            "trading companies, sources said.",
            Direction.TIGHTENING,
            id="security-offices-in-trading-companies",
        ),
        pytest.param(
            "",
            "North Korea raised hard-currency earning quotas for trading firms by a quarter, a "
            "source in Pyongyang said.",
            Direction.TIGHTENING,
            id="currency-quotas-raised",
        ),
        pytest.param(
            "",
            "Trading firms in North Korea were ordered to deposit all earnings in state banks "
            "and may no longer keep cash abroad, a source said.",
            Direction.TIGHTENING,
            id="may-no-longer-keep",
        ),
        pytest.param(
            "",
            "North Korea's Wonsan-Kalma resort is still off-limits to Western tourists, tour "
            "operators said.",
            Direction.REAFFIRMATION,
            id="still-off-limits",
        ),
        # rules-17: from tests/data/blind22.jsonl
        pytest.param(
            "",
            "Police in South Phyongan Province confiscated Chinese shampoo from market stalls and "
            "told vendors to sell such goods only through state-run shops.",
            Direction.TIGHTENING,
            id="a-province-spelt-phyongan",
        ),
        pytest.param(
            "",
            "Security monitoring of North Korean trading staff abroad has not changed at all, a "
            "defector said. The surveillance of trade officials posted in China has not "
            "changed either, another said.",
            Direction.REAFFIRMATION,
            id="has-not-changed",
        ),
        pytest.param(
            "",
            "North Korea has approved the first tours for European travellers to Samjiyon, a "
            "Beijing agency said, and bookings opened on Monday.",
            Direction.LOOSENING,
            id="tours-approved-bookings-opened",
        ),
        pytest.param(
            "",
            "North Korean trading companies signed purchase agreements with Russian and Mongolian "
            "firms at the Pyongyang fair, a visitor said.",
            Direction.LOOSENING,
            id="agreements-with-firms-of-two-nations",
        ),
        pytest.param(
            "",
            "A new order tells North Korean trading companies to deposit all foreign currency, "
            "including cash kept in China, and caps the cash a representative may hold at $5,000.",
            Direction.TIGHTENING,
            id="cash-kept-in-china-and-capped",
        ),
        pytest.param(
            "",
            "North Korean donju are again being allowed to finance imports under a trading "
            "company's name after a two-year freeze, sources said.",
            Direction.LOOSENING,
            id="again-allowed-after-a-freeze",
        ),
        pytest.param(
            "",
            "Sinuiju customs has switched from opening every container to random sampling, "
            "brokers said, roughly halving clearance times.",
            Direction.LOOSENING,
            id="random-sampling-at-customs",
        ),
        pytest.param(
            "",
            "North Korea sent a four-member delegation to the Vladivostok forum, the same size as "
            "in previous years, and still limits how many trade officials travel abroad.",
            Direction.REAFFIRMATION,
            id="a-delegation-the-same-size",
        ),
        pytest.param(
            "",
            "Tour operators said North Korea has given no indication of opening the Wonsan-Kalma "
            "resort to Western foreigners.",
            Direction.REAFFIRMATION,
            id="no-indication-of-opening-a-resort",
        ),
        pytest.param(
            "Chongjin company trades under its own name again",
            "A company of the North Hamgyong provincial committee received renewed waku and was "
            "permitted to import tyres under its own name, a source said.",
            Direction.LOOSENING,
            id="renewed-waku-own-name",
        ),
        # rules-18: from tests/data/blind24.jsonl
        pytest.param(
            "",
            "North Korean trade officials now require Western firms to sign a pledge against "
            "'hostile policies' before any contract, a European trader said.",
            Direction.TIGHTENING,
            id="partners-made-to-sign-a-pledge",
        ),
        pytest.param(
            "",
            "Pyongyang told Japanese trading houses it would deal in civilian goods without first "
            "demanding a change in Tokyo's position on the abductions, Kyodo reported.",
            Direction.LOOSENING,
            id="no-political-precondition",
        ),
        pytest.param(
            "",
            "North Korea's Cabinet struck 40 items from the list of goods trading companies may "
            "import and told factories to use domestic substitutes instead, a source said.",
            Direction.TIGHTENING,
            id="items-struck-from-the-import-list",
        ),
        pytest.param(
            "",
            "Merchants in Hyesan, North Korea, were ordered to sell their yuan to state banks at "
            "the official rate, and those who refuse will lose their stall licences.",
            Direction.TIGHTENING,
            id="yuan-sold-to-state-banks",
        ),
        pytest.param(
            "",
            "A North Korean decree on the Rason zone lengthens land-use terms and creates "
            "favourable conditions for foreign investors, KCNA said.",
            Direction.LOOSENING,
            id="a-zone-law-for-investors",
        ),
        pytest.param(
            "",
            "North Korea went on importing fuel and exporting coal by ship in 2025 through "
            "ship-to-ship transfers, sanctions monitors said, finding no significant change in "
            "methods.",
            Direction.REAFFIRMATION,
            id="transfers-as-before",
        ),
        pytest.param(
            "",
            "A plenary meeting of North Korea's party criticised the tendency to shut the doors "
            "in the name of self-reliance and decided to import equipment urgently needed by "
            "factories.",
            Direction.LOOSENING,
            id="doors-shut-in-the-name-of-self-reliance",
        ),
        pytest.param(
            "",
            "The new Tumen road bridge carried its first commercial cargo from Russia into North "
            "Korea's Rason, part of Pyongyang's drive to spread its trade beyond China.",
            Direction.LOOSENING,
            id="a-bridge-carries-its-first-cargo",
        ),
        pytest.param(
            "",
            "Reports that North Korea and Russia agreed a quota for thousands of additional "
            "North Korean workers have not been borne out, ferry records show.",
            Direction.REAFFIRMATION,
            id="a-quota-not-borne-out",
        ),
        pytest.param(
            "",
            "North Korean officials brushed off questions about rumoured tax breaks for "
            "investors in the Rason zone. The rules for investment in the zone remain as they "
            "were. No new measures were announced for investors.",
            Direction.REAFFIRMATION,
            id="tax-breaks-brushed-off",
        ),
        pytest.param(
            "",
            "Donju in North Korea can again pay trading companies to import goods on their "
            "behalf, ending a 2023 rule that sent all imported goods through state-run shops.",
            Direction.LOOSENING,
            id="a-rule-that-sent-goods-through-state-shops-ended",
        ),
        # rules-19: from tests/data/blind26.jsonl (short alerts)
        pytest.param(
            "Hyesan traders again sell Chinese soap",
            "Traders at a Hyesan market in North Korea were again allowed to sell Chinese "
            "soap this week, a source said.",
            Direction.LOOSENING,
            id="traders-again-allowed-to-sell",
        ),
        pytest.param(
            "",
            "Light-industry factories in North Korea were authorised this spring to import "
            "Chinese zips and dyes, a source said.",
            Direction.LOOSENING,
            id="factories-authorised-to-import-parts",
        ),
        pytest.param(
            "",
            "About 200 construction workers from North Korea arrived in Khabarovsk on Tuesday "
            "for housing projects, a local builders' group said.",
            Direction.LOOSENING,
            id="workers-from-north-korea-arrived",
        ),
        pytest.param(
            "",
            "North Korean customs at Sinuiju cut the inspection fee on each Chinese truck by "
            "half, a Dandong haulier said.",
            Direction.LOOSENING,
            id="inspection-fee-cut",
        ),
        pytest.param(
            "",
            "North Korean trade officials in Shenyang must now hand over their phones for "
            "weekly checks, a source told RFA.",
            Direction.TIGHTENING,
            id="phones-handed-over",
        ),
        pytest.param(
            "",
            "North Korea's Ministry of State Security has posted an officer to each trading "
            "company at Nampho, a source said.",
            Direction.TIGHTENING,
            id="an-officer-posted-to-each-firm",
        ),
        pytest.param(
            "",
            "Russian operators were told the Wonsan-Kalma resort would not receive foreign "
            "groups until further notice, and bookings were cancelled.",
            Direction.TIGHTENING,
            id="a-resort-not-receiving-groups",
        ),
        pytest.param(
            "",
            "The Hamhung city people's committee in North Korea has set up its own trading "
            "company to import flour, a source said.",
            Direction.LOOSENING,
            id="a-city-sets-up-a-trading-company",
        ),
        pytest.param(
            "",
            "North Korea suspended a barter arrangement swapping its textiles for Mongolian "
            "wool, Mongolian media said.",
            Direction.TIGHTENING,
            id="a-barter-arrangement-suspended",
        ),
        pytest.param(
            "",
            "A Chinese-North Korean joint venture began production of shoes in a zone outside "
            "Sinuiju, a trader said.",
            Direction.LOOSENING,
            id="a-joint-venture-starts-production",
        ),
        pytest.param(
            "Cap on North Korean trade delegations to continue",
            "Officials were told the limit on the size of North Korean trade delegations "
            "travelling abroad will stay in place.",
            Direction.REAFFIRMATION,
            id="a-delegation-cap-stays-in-place",
        ),
        pytest.param(
            "Security officers leave Sinuiju trading firms",
            "North Korean security officers stationed inside trading companies in Sinuiju "
            "were pulled out last month, a source said.",
            Direction.LOOSENING,
            id="officers-pulled-out",
        ),
    ],
)
def test_items_from_the_blind_sets_since_the_twelfth(
    classifier: RuleClassifier, title: str, text: str, direction: Direction
) -> None:
    a = _assess(classifier, text, title=title)
    assert a.relevant and a.direction is direction


@pytest.mark.parametrize(
    ("title", "text"),
    [
        pytest.param(
            "Kim Jong Un inspects expanded greenhouse farm",
            "Kim Jong Un inspected the newly expanded greenhouse farm in South Hamgyong "
            "Province, KCNA said.",
            id="a-guidance-visit",
        ),
        pytest.param(
            "",
            "A North Korean art troupe performed in Moscow to mark the anniversary of the "
            "partnership treaty with Russia.",
            id="an-anniversary",
        ),
        pytest.param(
            "",
            "North Korean health officials will step up checks at kindergartens during the "
            "measles campaign, state television said.",
            id="health-checks",
        ),
        pytest.param(
            "",
            "New state shops opened near the Hyesan market, aimed at easing shortages of daily "
            "necessities in the border city, KCNA said.",
            id="easing-shortages",
        ),
        # rules-15: from tests/data/blind18.jsonl
        pytest.param(
            "",
            "North Korean soldiers crossed the Military Demarcation Line again as the North keeps "
            "building walls and laying mines along the border, the JCS said.",
            id="walls-and-mines-on-the-mdl",
        ),
        pytest.param(
            "",
            "The Youth League in Hamhung set up inspection teams to check students' notebooks for "
            "South Korean spellings, a source in North Korea said.",
            id="youth-league-inspects-students",
        ),
        # rules-14: from tests/data/blind16.jsonl
        pytest.param(
            "Youths tried in Hyesan stadium",
            "Authorities staged a public trial of four young men for sharing South Korean dramas, "
            "who were charged under the Reactionary Ideology and Culture Rejection Law.",
            id="a-trial-over-dramas",
        ),
        pytest.param(
            "",
            "Inspection teams from the Socialist Patriotic Youth League stop young people in "
            "Hamhung and check their phone messages for South Korean slang, Asia Press said.",
            id="youth-league-phone-checks",
        ),
        pytest.param(
            "",
            "Kim Jong Un inspected new apartment blocks in Sinuiju and gave instructions on "
            "strengthening embankments along the Amnok River, KCNA said.",
            id="housing-and-embankments",
        ),
        pytest.param(
            "",
            "The trade union federation called on its members to root out non-socialist "
            "practices in the workplace, KCNA said.",
            id="a-trade-union-plenum",
        ),
        # rules-16: from tests/data/blind20.jsonl
        pytest.param(
            "North Korean art troupe closes Chinese tour",
            "North Korea's Mansudae Art Troupe ended a two-week tour of China with a concert in "
            "Shenyang, KCNA said.",
            id="a-troupe-closes-its-tour",
        ),
        pytest.param(
            "",
            "A UN report says North Korea carries out public executions of people caught "
            "sharing South Korean films.",
            id="executions-over-films",
        ),
        # rules-17: from tests/data/blind22.jsonl
        pytest.param(
            "",
            "North Korea's trade union federation met in Pyongyang and discussed ways to "
            "intensify ideological education among workers; speakers called for a stronger role "
            "for union organisations at factories, KCNA said.",
            id="ideological-education-among-workers",
        ),
        pytest.param(
            "",
            "A UN report documents forced labour in North Korean prisons and urges Pyongyang to "
            "admit monitors. North Korea's mission rejected it as 'a fabrication by hostile "
            "forces'.",
            id="a-report-rejected-as-a-fabrication",
        ),
        # rules-19: from tests/data/blind26.jsonl
        pytest.param(
            "Teen sentenced for dramas smuggled on USB",
            "A student in Hyesan, North Korea, was sentenced to labour training for watching "
            "South Korean dramas on a USB stick smuggled from China, a source said.",
            id="dramas-smuggled-on-a-usb-stick",
        ),
    ],
)
def test_more_domestic_news_that_is_not_trade_policy(
    classifier: RuleClassifier, title: str, text: str
) -> None:
    assert not _assess(classifier, text, title=title).relevant


def test_items_removed_from_a_ban_list_are_a_loosening(classifier: RuleClassifier) -> None:
    # rules-18's cue for items struck from "the list of goods firms may import" must not
    # read a list of goods factories were barred from importing the same way.
    a = _assess(
        classifier,
        "North Korea's Cabinet removed 200 items from a list of goods that factories were "
        "barred from importing, a source said.",
        title="North Korea trims import ban list",
    )
    assert a.relevant and a.direction is Direction.LOOSENING


def test_licences_handed_back_to_the_ministries_are_surrendered(
    classifier: RuleClassifier,
) -> None:
    # The demo site's 2023 article says this; "handed back" alone read as licences restored.
    a = _assess(
        classifier,
        "Trading companies in Sinuiju were told to hand their licences back to the ministries "
        "that supervise them, and their contracts must now go through the ministry, a source "
        "said.",
    )
    authority = _signal(a, "trade_authority")
    assert a.direction is Direction.TIGHTENING and authority.direction is Direction.TIGHTENING
    cues = {c for ev in authority.evidence for c in ev.cues}
    assert "hand their licences back to the ministries" in cues


@pytest.mark.parametrize(
    ("title", "text", "direction"),
    [
        pytest.param(
            "Smugglers sentenced as state firms keep trading",
            "Two smugglers were sentenced at a public trial in Musan as state firms kept "
            "moving the same ore across the border, a source said.",
            Direction.TIGHTENING,
            id="sentenced-as-others-carry-on",
        ),
        pytest.param(
            "Smugglers sentenced in Musan",
            "Two smugglers were sentenced in Musan as state-run trading units kept trucking "
            "ore across the border, a source said.",
            Direction.TIGHTENING,
            id="sentenced-as-others-carry-on-in-the-text",
        ),
        # Guards, the same on both rules: the carrying on is the restriction's own.
        pytest.param(
            "Guards still arresting smugglers in Hoeryong",
            "Border guards in Hoeryong are still arresting unlicensed smugglers, a source said.",
            Direction.REAFFIRMATION,
            id="still-arresting",
        ),
        pytest.param(
            "Hyesan crackdown on smugglers continues",
            "The crackdown on smugglers in Hyesan continues, with arrests reported every week, "
            "a source said.",
            Direction.REAFFIRMATION,
            id="the-crackdown-continues",
        ),
    ],
)
def test_a_persistence_word_after_a_contrast_is_another_actors(
    classifier: RuleClassifier, title: str, text: str, direction: Direction
) -> None:
    # rules-20: "smugglers sentenced as state firms keep shipping" (blind24 i52) had read
    # the firms' carrying on as the crackdown's, a restatement.
    a = _assess(classifier, text, title=title)
    assert a.relevant and a.direction is direction


@pytest.mark.parametrize(
    ("title", "text", "direction"),
    [
        # rules-21 (baseline 2024.33): wordings of tests/data/blind28.jsonl, in other words.
        pytest.param(
            "Hoeryong traders get their waku back",
            "Two trading firms under the North Hamgyong committee regained their import waku "
            "this spring, a source in Hoeryong said.",
            Direction.LOOSENING,
            id="waku-regained",
        ),
        pytest.param(
            "North Korea lets provincial firms buy abroad",
            "The Ministry of External Economic Relations approved licences for three "
            "provincial firms to import cement and cooking oil on their own account, a source "
            "said.",
            Direction.LOOSENING,
            id="licences-to-import-on-their-own-account",
        ),
        pytest.param(
            "Pyongyang sets up import review board",
            "North Korea has set up an import review committee that must approve all import "
            "contracts above a threshold, a source in Pyongyang said.",
            Direction.TIGHTENING,
            id="every-import-contract-approved",
        ),
        pytest.param(
            "North Korea holds course",
            "North Korea's cabinet called for maintenance of the existing course on foreign "
            "trade, echoing a pledge made in 2022.",
            Direction.REAFFIRMATION,
            id="the-existing-course-maintained",
        ),
        pytest.param(
            "North Korea drops vetting for Thai deals",
            "North Korean trading companies now sign rice contracts with Thai firms without "
            "case-by-case political approval, a source said.",
            Direction.LOOSENING,
            id="no-case-by-case-political-approval",
        ),
        pytest.param(
            "North Korean trade reps in Russia move freely",
            "North Korea has allowed its trade representatives in Vladivostok to travel across "
            "the region without embassy approval, and has enlarged its trade mission there.",
            Direction.LOOSENING,
            id="travel-without-approval-allowed",
        ),
        pytest.param(
            "Party checks trade officials' families",
            "The Workers' Party began background reviews of North Korean trade officials, with "
            "checks on their relatives' contacts abroad, a source said.",
            Direction.TIGHTENING,
            id="background-reviews-of-trade-staff",
        ),
        pytest.param(
            "Rason leases plots to Russian firms",
            "North Korea's Rason zone approved leases on two plots for Russian firms and let "
            "foreign partners hold majority stakes, officials in Primorye said.",
            Direction.LOOSENING,
            id="zone-leases-and-majority-stakes",
        ),
        pytest.param(
            "Rason seizes Chinese-run plants",
            "North Korean officials in Rason took over the management of two Chinese-invested "
            "factories, and investors said profits could no longer be transferred out.",
            Direction.TIGHTENING,
            id="zone-takes-over-foreign-invested-plants",
        ),
        pytest.param(
            "North Korea sends doctors to Laos",
            "North Korea has begun sending doctors and nurses to Laos under a new agreement, "
            "Lao media said.",
            Direction.LOOSENING,
            id="medical-staff-sent-abroad",
        ),
        pytest.param(
            "North Korean workers in Dandong sent home",
            "Hundreds of North Korean workers at seafood plants in Dandong were sent home in "
            "March, managers said, and no replacements would be sent.",
            Direction.TIGHTENING,
            id="workers-sent-home-no-replacements",
        ),
        pytest.param(
            "Western tours to North Korea still on hold",
            "Operators said tourism to North Korea remains on hold, with no indication "
            "Pyongyang would readmit Western tourists this year.",
            Direction.REAFFIRMATION,
            id="tourism-still-on-hold",
        ),
        pytest.param(
            "Delegation rumour",
            "Reports that North Korea would relax rules on trade delegations appear unfounded, "
            "a source in Sinuiju said.",
            Direction.REAFFIRMATION,
            id="a-report-that-appears-unfounded",
        ),
    ],
)
def test_wordings_of_the_twenty_eighth_blind_set(
    classifier: RuleClassifier, title: str, text: str, direction: Direction
) -> None:
    a = _assess(classifier, text, title=title)
    assert a.relevant and a.direction is direction


def test_a_team_sent_to_a_sporting_event_is_no_trade_delegation(
    classifier: RuleClassifier,
) -> None:
    a = _assess(
        classifier,
        "North Korea sent its largest delegation to a sporting event in Japan in decades, "
        "KCNA said.",
        title="North Korean athletes head to Japan",
    )
    assert not a.relevant
    # The guard: a trade delegation sent abroad still reads as one.
    sent = _assess(
        classifier,
        "North Korea sent a trade delegation to Vladivostok to negotiate fuel deliveries, "
        "TASS said.",
    )
    assert sent.relevant and sent.direction is Direction.LOOSENING


@pytest.mark.parametrize(
    ("title", "text", "direction"),
    [
        # Baseline 2024.34: wordings of tests/data/blind30.jsonl, in other words.
        pytest.param(
            "Yanji agency: Chilbosan trips back on the calendar",
            "Group tours from Yanji to Mount Chilbo in North Korea will be restored next month "
            "after a six-year pause, a Yanji travel agency said.",
            Direction.LOOSENING,
            id="tours-restored",
        ),
        pytest.param(
            "Rail tours open for sign-up",
            "Applications from Chinese citizens for three-day rail tours to Sinuiju will be "
            "accepted from May, a Dandong travel service announced.",
            Direction.LOOSENING,
            id="tour-applications-accepted",
        ),
        pytest.param(
            "Hunchun road bridge in use",
            "The new road bridge between Quanhe and Wonjong was put into service for freight "
            "trucks on Monday, the Hunchun port office said of the North Korean crossing.",
            Direction.LOOSENING,
            id="bridge-put-into-service",
        ),
        pytest.param(
            "Tumangang handovers stepped up",
            "Wagons for North Korea will be handed over at Tumangang daily instead of twice "
            "weekly, the Russian railway branch said.",
            Direction.LOOSENING,
            id="daily-instead-of-weekly",
        ),
        pytest.param(
            "Pyongyang and Minsk sign",
            "An agreement on economic cooperation between the Government of the DPRK and the "
            "Government of Belarus was signed in Pyongyang on Tuesday, KCNA said.",
            Direction.LOOSENING,
            id="agreement-was-signed",
        ),
        pytest.param(
            "Ulaanbaatar barter deal to lapse",
            "North Korea told Mongolia its barter contract for meat and garments will not be "
            "renewed, and its embassy's commercial section will be closed.",
            Direction.TIGHTENING,
            id="agreement-not-renewed",
        ),
        pytest.param(
            "New watchdog for traders",
            "North Korea has set up a new audit bureau under the cabinet to monitor trading "
            "companies and their dealings abroad, Seoul's unification ministry said.",
            Direction.TIGHTENING,
            id="inspection-body-for-traders",
        ),
        pytest.param(
            "Rason plant sealed",
            "A Chinese investor in Rason said his North Korean partner had his workshop "
            "equipment placed under seal, and management would pass to the Korean partner.",
            Direction.TIGHTENING,
            id="investor-plant-sealed",
        ),
        pytest.param(
            "Hyesan stalls restocked",
            "The restriction on imported goods at North Korea's Hyesan market no longer "
            "applies, a source said.",
            Direction.LOOSENING,
            id="market-ban-no-longer-applies",
        ),
        pytest.param(
            "Chongjin market carries on",
            "A feared market ban on imported goods failed to materialise in North Korea's "
            "Chongjin: managers announced no new restrictions, and nothing has changed, a "
            "source said.",
            Direction.REAFFIRMATION,
            id="feared-ban-fails-to-materialise",
        ),
    ],
)
def test_wordings_of_the_thirtieth_blind_set(
    classifier: RuleClassifier, title: str, text: str, direction: Direction
) -> None:
    a = _assess(classifier, text, title=title)
    assert a.relevant and a.direction is direction


def test_a_youth_league_inspection_team_is_no_trade_oversight(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "The youth league in Hamhung has set up inspection teams to check students' notebooks "
        "for South Korean slang, a source said.",
        title="Hamhung youth league hunts for slang",
    )
    assert not a.relevant


def test_may_granted_by_a_decree_is_permission_not_a_hedge(classifier: RuleClassifier) -> None:
    # rules-23: "factories may export" under a decree or notice grants a right.
    a = _assess(
        classifier,
        "Under a new decree, county factories may export their surplus goods and import raw "
        "materials through trade units of the provincial committees, KCNA said.",
        title="Decree on local factories' trade",
    )
    assert a.relevant and a.direction is Direction.LOOSENING


@pytest.mark.parametrize(
    ("clause", "granted"),
    [
        ("under the decree, factories may export their surplus", True),
        ("according to a notice, firms of this city may conduct declared trade", True),
        ("north korea may export more coal this year", False),  # no decree: speculation
        ("under the decree, factories may export, reportedly", False),  # another hedge
        ("the decree may open the door to more trade", False),  # the decree itself hedged
    ],
)
def test_which_may_is_granted(clause: str, granted: bool) -> None:
    assert _granted(clause) is granted


@pytest.mark.parametrize(
    ("title", "text", "direction", "dimension"),
    [
        # Baseline 2024.35: wordings of tests/data/blind32.jsonl, in other words.
        pytest.param(
            "Coal firms back in the export business",
            "Provincial trading firms in North Korea may again sell coal to Chinese buyers, "
            "after the cabinet rescinded a decree that had reserved coal exports for a sole "
            "state company, sources said.",
            Direction.LOOSENING,
            "trade_authority",
            id="export-reservation-rescinded",
        ),
        pytest.param(
            "Fewer goods on Pyongyang's import blacklist",
            "North Korea's trade ministry took 20 products, among them soap and nails, off "
            "the list of goods that factories are barred from importing, a document shows.",
            Direction.LOOSENING,
            "self_reliance",
            id="taken-off-banned-imports-list",
        ),
        pytest.param(
            "Minders leave trading houses",
            "North Korea's security ministry recalled the agents it posted at trading "
            "houses in Sinuiju last spring, and contracts no longer need an agent's approval, "
            "a source said.",
            Direction.LOOSENING,
            "state_oversight",
            id="agents-it-posted-recalled",
        ),
        pytest.param(
            "Vetting rule dropped for Asian buyers",
            "North Korean exporters no longer need their party committee's political clearance "
            "to sell to private buyers in Vietnam, a trader said.",
            Direction.LOOSENING,
            "capitalist_trade",
            id="political-clearance-no-longer-needed",
        ),
        pytest.param(
            "Trading firms told to cut off Taiwanese partners",
            "North Korean trading companies were ordered to terminate contracts with "
            "suppliers owned by Taiwanese investors within a month, a source in Pyongyang said.",
            Direction.TIGHTENING,
            "trade_partners",
            id="ordered-to-terminate-contracts-with",
        ),
        pytest.param(
            "Foreign contacts to be reported",
            "North Korean trade officials must now report any conversations with foreign "
            "businessmen to their security officer the same day, a source told NK News.",
            Direction.TIGHTENING,
            "state_oversight",
            id="must-report-any-contact",
        ),
    ],
)
def test_wordings_of_the_thirty_second_blind_set(
    classifier: RuleClassifier, title: str, text: str, direction: Direction, dimension: str
) -> None:
    _assert_reads(classifier, title, text, direction, dimension)


def test_an_order_confining_imported_goods_to_state_shops_is_no_trade_monopoly(
    classifier: RuleClassifier,
) -> None:
    # The guard on the 2024.35 cue: lifting a market rule on imported goods is about markets.
    a = _assess(
        classifier,
        "Vendors in Hyesan sell Chinese shoes again after market managers in North Korea "
        "lifted an order that had confined sales of imported goods to state-run shops.",
    )
    assert "trade_authority" not in a.dimensions


@pytest.mark.parametrize(
    ("title", "text", "direction", "dimension"),
    [
        # Baseline 2024.36: wordings of tests/data/blind34.jsonl, in other words.
        pytest.param(
            "Pyongyang, Minsk in potash pact",
            "North Korea signed a contract with a Belarusian state firm on Monday to buy "
            "30,000 tonnes of potash fertiliser, Belarus's trade ministry said.",
            Direction.LOOSENING,
            "trade_partners",
            id="contract-signed-to-buy",
        ),
        pytest.param(
            "North Korea and Laos sign timber import deal",
            "Pyongyang and Vientiane sign timber import deal, Lao media reported.",
            Direction.LOOSENING,
            "trade_partners",
            id="import-deal-signed",
        ),
        pytest.param(
            "Traders abroad lose their phones",
            "North Korean trading company staff in Dalian were ordered to attend a security "
            "lecture each week and to hand over their phones to the consulate, a source said.",
            Direction.TIGHTENING,
            "state_oversight",
            id="ordered-among-other-things-to-hand-over-phones",
        ),
        pytest.param(
            "Trading house under scrutiny",
            "Pyongyang put the Sinuiju branch of a state trading house under a security "
            "ministry investigation after a shipment went missing, a source in North Korea "
            "said.",
            Direction.TIGHTENING,
            "state_oversight",
            id="placed-under-investigation",
        ),
        pytest.param(
            "Chongjin port quarantine back",
            "North Korea imposed a 30-day quarantine on vessels from Russian ports at "
            "Chongjin, stranding cargo, a source told Daily NK.",
            Direction.TIGHTENING,
            "border_customs",
            id="quarantine-imposed-on-vessels",
        ),
    ],
)
def test_wordings_of_the_thirty_fourth_blind_set(
    classifier: RuleClassifier, title: str, text: str, direction: Direction, dimension: str
) -> None:
    _assert_reads(classifier, title, text, direction, dimension)


@pytest.mark.parametrize(
    ("title", "text", "direction", "dimension"),
    [
        # Baseline 2024.37: wordings of tests/data/blind36.jsonl, in other words.
        pytest.param(
            "N. Korea suspends squid exports",
            "North Korea has suspended exports of dried squid to China until further notice, "
            "a source in Kangwon Province said.",
            Direction.TIGHTENING,
            "border_customs",
            id="exports-of-a-good-suspended",
        ),
        pytest.param(
            "Urea import quota slashed",
            "North Korea slashed its urea import quota for next year and told farms to use "
            "compost instead, a source in North Hwanghae said.",
            Direction.TIGHTENING,
            "self_reliance",
            id="import-quota-slashed",
        ),
        pytest.param(
            "City traders get fuel import rights",
            "Commerce bureaus in two North Korean cities got import rights for diesel, breaking "
            "a monopoly of central firms, sources said.",
            Direction.LOOSENING,
            "trade_authority",
            id="permits-received-monopoly-ended",
        ),
        pytest.param(
            "Seafood deals voided",
            "North Korean fishing cooperatives were told their export contracts with Chinese "
            "buyers were void and the catch must go to state companies, a source said.",
            Direction.TIGHTENING,
            "trade_authority",
            id="contracts-declared-void",
        ),
        pytest.param(
            "Minder for every trade office",
            "Every trading company in North Korea must now host a security ministry officer "
            "who reads all its correspondence, a source told Asia Press.",
            Direction.TIGHTENING,
            "state_oversight",
            id="must-host-a-security-officer",
        ),
        pytest.param(
            "Russian tour groups for Masikryong",
            "North Korea's Masikryong ski resort will receive tour groups from Khabarovsk from "
            "January, a Russian travel agency in North Korea's partner region said.",
            Direction.LOOSENING,
            "tourism",
            id="resort-will-receive-tour-groups",
        ),
    ],
)
def test_wordings_of_the_thirty_sixth_blind_set(
    classifier: RuleClassifier, title: str, text: str, direction: Direction, dimension: str
) -> None:
    _assert_reads(classifier, title, text, direction, dimension)


def test_resumed_tours_mentioned_beside_their_suspension_do_not_turn_it_around(
    classifier: RuleClassifier,
) -> None:
    # The guard on 2024.37's tourism cue: "will receive" is news, "resumed receiving" before
    # a suspension is background.
    a = _assess(
        classifier,
        "North Korea has suspended tours to Rason, cancelling trips booked by Chinese groups, "
        "travel agencies said. The suspension comes a month after Rason resumed receiving "
        "Chinese visitors.",
        title="Rason tours halted",
    )
    assert a.relevant and a.direction is Direction.TIGHTENING


@pytest.mark.parametrize(
    ("clause", "led"),
    [
        # rules-24: North Korean goods a foreign actor acts on are its object, not an actor.
        ("china banned north korean coal imports", True),
        ("the united nations banned north korea's textile exports", True),
        ("chinese customs seized north korean seafood at dalian", True),
        # ...but after "said", "its" or "and" the North Korean side may act itself.
        ("beijing said north korean firms halted coal exports", False),
        ("an agency in beijing said its north korean counterparts refused", False),
        ("china and north korea agreed to resume trade", False),
        ("north korean firms halted exports as china tightened checks", False),
    ],
)
def test_who_leads_a_clause_with_north_korean_goods_in_it(clause: str, led: bool) -> None:
    assert foreign_led(clause) is led


def test_a_foreign_ban_on_north_korean_goods_is_not_pyongyangs_move(
    classifier: RuleClassifier,
) -> None:
    a = _assess(
        classifier,
        "China banned imports of North Korean coal, the commerce ministry in Beijing said.",
        title="China bans North Korean coal imports",
    )
    assert not a.relevant
    # The guard: Pyongyang's own ban on the same goods is its move.
    own = _assess(
        classifier,
        "North Korea banned coal exports to China, customs officials in Dandong said.",
        title="North Korea bans coal exports",
    )
    assert own.relevant and own.direction is Direction.TIGHTENING


@pytest.mark.parametrize(
    ("clause", "led"),
    [
        # rules-25: UN sanctions, or the Security Council, acting on North Korean goods.
        ("un sanctions have banned north korean seafood exports since 2017", True),
        ("the security council banned north korean textile exports in 2017", True),
        # ...but not where they are only what a move breaks.
        ("sending workers abroad is banned under un resolutions", False),
        ("the sales, which violate un sanctions, are organised by the state", False),
    ],
)
def test_un_sanctions_lead_a_clause_only_when_they_act(clause: str, led: bool) -> None:
    assert foreign_led(clause) is led


def test_un_sanctions_in_the_background_add_no_tightening(classifier: RuleClassifier) -> None:
    a = _assess(
        classifier,
        "Chinese traders still buy North Korean squid at sea, sources said. UN sanctions have "
        "banned North Korean seafood exports since 2017.",
        title="Squid trade at sea",
    )
    assert not a.relevant


@pytest.mark.parametrize(
    ("clause", "background"),
    [
        # rules-26: "previously" sets a clause in the past only as an adverb of its verb...
        ("firms were previously vetted by the party", True),
        ("previously, firms needed approval for each contract", True),
        ("traders had formerly paid a fee at the bridge", True),
        # ...not as a participle's after a noun, which says whose something was.
        ("breaking a monopoly previously held by a few central companies", False),
        ("rights formerly granted to provincial firms were returned", False),
        ("something previously discouraged", False),
    ],
)
def test_previously_is_background_only_for_its_own_clause(clause: str, background: bool) -> None:
    assert (BACKGROUND.search(clause) is not None) is background


def test_a_monopoly_previously_held_by_others_does_not_discount_the_news(
    classifier: RuleClassifier,
) -> None:
    a = _assess(
        classifier,
        "Commerce bureaus in several North Korean cities received permits to import flour, "
        "breaking a monopoly previously held by central trading companies, sources said.",
    )
    assert a.relevant and a.direction is Direction.LOOSENING
    assert _signal(a, "trade_authority").score >= 1.0
