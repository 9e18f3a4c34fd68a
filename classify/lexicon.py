"""Language-level word lists: who acts, which way verbs point, negation, hedges, persistence.

These describe how news in this field is written, not any policy dimension; dimension-specific
cues live in the baseline YAML. All patterns run on text from ``classify.text.normalise``.
"""

from __future__ import annotations

import re

# Mentions that make an item about North Korea at all.
DPRK_MENTION = re.compile(
    r"\b(north korea\w*|n\. ?korea\w*|n\.k\.|dprk|pyongyang|the north\b|the north's|"
    r"kim jong[- ]?un|kim yo[- ]?jong|kcna|rodong sinmun|minju chosun|"
    r"democratic people's republic of korea|workers' party|"
    r"sinuiju|rason|rajin|sonbong|hyesan|chongjin|hoeryong|nampo|kaesong|wonsan|"
    r"ryanggang|yanggang|north pyongan|south pyongan|north hamgyong|north hamkyung|"
    r"south hamgyong|jagang|chagang|north phyongan|south phyongan|north hwanghae|south hwanghae|"
    r"kanggye|manpo|musan|pyongsong|kimchaek|wonjong|tumangang|namyang|sinpo|"
    # The outlet's sources are inside the country ("a source in Hyesan told Daily NK"), and
    # these bodies are North Korea's own: a report naming them is about the North.
    r"daily nk|foreign trade bank|ministry of (state security|external economic relations)|"
    r"nampho|sariwon|hamhung|kangso)\b"
)

# Who acts in a clause. A mention right after a preposition ("bound for North Korea",
# "a source in China") is a place or an object, not the actor, and is skipped.
DPRK_ACTOR = re.compile(
    r"\b(north korea(n)?( \w+)?|n\. ?korea(n)?|n\.k\.|dprk|pyongyang|the north|"
    r"kim jong[- ]?un|kim|the regime|the (workers' )?party|central committee|the cabinet|"
    r"the (central )?government|the authorities|(ministry of )?state security|"
    r"ministry of (external economic|foreign trade|social security)\w*|"
    r"(provincial|local|security|border) (authorities|officials|agents|guards)|"
    r"people's committees?|state media|the state)\b"
)
FOREIGN_ACTOR = re.compile(
    r"\b((chin(a|ese)|russia(n)?|south korea(n)?|japan(ese)?|u\.s\.|united states|american|"
    r"european union|eu)('s)? (customs|authorities|government|ministry|police|officials|"
    r"border guards|border police|security|treasury|commerce|regulators?|coast guard|state council|"
    r"military|administration|president|foreign ministry|industry ministry|trade ministry)|"
    r"beijing|seoul|washington|moscow|tokyo|the (un|u\.n\.) security council|"
    r"(the )?joint chiefs of staff|the jcs|"
    r"the (un|u\.n\.|united nations)|general administration of customs|"
    # UN sanctions, or the council without "the UN" before it, acting on something ("UN
    # sanctions have banned North Korean seafood exports"); not where they are what a move
    # breaks ("sending workers is banned under UN resolutions").
    r"(un|u\.n\.|united nations) (security council )?(sanctions|resolutions?|embargo) "
    r"(have |has |had |now |also )?(ban|bar|prohibit|forbid|outlaw|block|restrict|cap|limit)\w*|"
    r"(the )?security council (has |have |had )?(ban|bar|prohibit|forbid|outlaw|block|"
    r"restrict|cap|limit|impos)\w*|"
    r"ministry of (commerce|trade, industry and energy)|(south korea's )?unification ministry|"
    r"ministry of unification)\b(?! (data|figures|statistics))"
)
# A country named bare as the subject of a verb ("China suspended trade with North Korea",
# "Japan extended its sanctions", "China to halt imports"); not "China's exports" (no verb
# follows). Whether it is the subject (not "trade with China", not "between North Korea and
# China") is ``classify.actors``' to tell.
BARE_COUNTRY_NAMES = ("china", "russia", "japan", "south korea", "the united states", "the u.s.")
BARE_COUNTRY = re.compile(
    rf"\b({'|'.join(re.escape(name) for name in BARE_COUNTRY_NAMES)})"
    r"(?= (to [a-z]+|(has |have |had |will |would |also |again |now )?([a-z]+(ed|es|s)|said|"
    r"cut|sent|put|began|took|made|gave|kept|set|held|told|built|paid|sold|shut|withdrew))\b)"
)
COORDINATED_BEFORE = re.compile(r"\b(and|or)\s+$")
# A North Korean adjective or possessive, which may name what another actor acts on ("banned
# North Korean coal imports", "halted North Korea's textile exports").
OBJECT_MODIFIER = re.compile(r"(north korean|north korea's|pyongyang's|the north's|dprk's?)\b")
# A verb right before such a modifier makes it that verb's object ("banned North Korean
# coal"); after "said", "that", "its"... it may start an actor ("said its North Korean
# counterparts told it...").
VERB_BEFORE = re.compile(
    r"(ed|es|\b(bans?|halts?|stops?|bars?|blocks?|seizes?|suspends?|imposes?|restricts?|"
    r"sanctions?|targets?))\s+$"
)
PREPOSITION_BEFORE = re.compile(
    r"\b(to|for|into|from|with|against|on|toward|towards|of|in|at|by|near|across|"
    r"between|about|over|through|via|bound for)\s+(the\s+)?$"
)

# Verbs and phrases that point one way whatever the dimension; they count for a dimension
# only when one of its topic cues is in the same clause.
GENERIC_LOOSENING = re.compile(
    # "easing shortages" relieves them; it eases no rule
    r"\b(eas(e|ed|es|ing)(?! (the )?(shortages?|pressure|tensions?|fears?|burdens?)\b)|"
    r"relax\w*|loosen\w*|lift(ed|ing|s)?|allow\w*|permit\w*|"
    r"authori[sz]\w*|grant\w*|expan(d\w*|sion)|resum\w*|re-?open\w*|restart\w*|reviv\w*|"
    r"encourag\w*|boost\w*|widen\w*|open(ed|ing)? up|toleran\w*|tolerat\w*|"
    r"flexib\w*|more freely|openly|lets|letting|waiv\w*|exempt\w*|attract\w*|incentiv\w*|"
    r"open(s|ed|ing)? the door to|sign(s|ed|ing)? off on|green ?light\w*|gave the go-ahead|"
    r"cleared the way|(turn\w*|turning) a blind eye|look\w* the other way|no longer need\w*|"
    r"no longer (have|has|had) to|let(?!'s| alone)|"
    r"(drop|scrap|abandon)\w* ([\w'-]+ ){0,3}(requirements?|preconditions?|conditions|rules?|"
    r"demands?|restrictions?|pledges?|wording|clauses?)|"
    # The same, said of the rule: "the requirement had been dropped".
    r"(requirements?|preconditions?|restrictions?|curbs?|limits?) ((has|have|had|was|were) )?"
    r"(been )?(dropped|scrapped|abandoned|waived|removed)|"
    # A move named by its rarity: "the first tour group in six years", "for the first time
    # since the closure".
    r"first ([\w'-]+ ){0,4}(in|since) (more than |over |nearly |almost |about )?"
    r"([\w'-]+ )?(years?|months|decades?)|first ([\w'-]+ ){0,5}since (19|20)\d\d|first time since|"
    r"free to|cleared to|given ([\w'-]+ ){0,2}permission)\b"
)
GENERIC_TIGHTENING = re.compile(
    # "banned under UN sanctions" names a legal status, not a move
    r"\b(tighten\w*|crack\w* ?down|crackdowns?|clamp\w* down|restrict\w*|"
    r"ban(s|ned|ning)?(?! (under|by) (the )?(un|united nations|security council|sanctions))|"
    r"prohibit\w*|intensif\w*|step(ped|s)?[ -]up|reinforc\w*|punish\w*|"
    # "strengthening embankments" is flood work
    r"strengthen\w*(?! (the )?(embankments?|levees?|dykes?|dikes?|flood|river ?banks?))|"
    r"arrest\w*|detain(s|ed|ing)?|confiscat\w*|seiz\w*|suspend\w*|halt\w*|seal\w*|"
    r"block(s|ed|ing|ades?)?|"
    r"curb\w*|outlaw\w*|purg\w*|stricter|strictly|harsh\w*|severe\w*|recall\w*|"
    r"sentenc\w*|labou?r camp|surveil\w*|bar(red|s|ring)?|raid(s|ed|ing)?|"
    r"shut(s|ting|downs?)?|"
    # "close to zero", "close to market levels", "close to the border": near, not closing
    r"clos(ed|es|ing|ure|e(?! to ([\d$]|zero|nil|half|record|market|the (market|official|"
    r"border|record|peak|level))))(?![- ]door)|"
    r"fin(ed|es|ing)|tighter|revok\w*|strip(s|ped|ping)?|"
    r"fenc(e|es|ed|ing)|"
    r"vet(s|ted|ting)|froz(e|en)|freez\w*|"
    # "rejected the report as a fabrication" answers a critic; it restricts nothing
    r"reject\w*(?! ([\w'-]+ ){0,3}as ['\"]?(a |an )?(fabrication|slander|lie|smear|fake|false|"
    r"groundless|baseless|hostile|politically|interference|provocation))|"
    r"limit(s|ed|ing)? (how many|the number of|the size of)|"
    r"monopol\w*|recentrali[sz]\w*|requir(e|ed|es|ing|ements?)|enforc(e|ed|es|ing|ement)|"
    r"deport\w*|tougher|toughen\w*|stringent|mandatory|strict|"
    r"cancel\w*|intercept\w*|turned (back|away)|sever(s|ed|ing)?|forbid\w*|forbade|"
    r"(stop|cease|halt)\w* (importing|exporting|buying|selling|dealing|trading|doing business))\b"
)
# A report that came to nothing: restates the line on its own (GENERIC_REAFFIRMATION) and
# denies a move reported before it in the clause (DENIAL_AFTER).
_CAME_TO_NOTHING = r"groundless|baseless|never materiali[sz]ed|c(a|o)me to nothing"
GENERIC_REAFFIRMATION = re.compile(
    r"\b(reiterat\w*|reaffirm\w*|restat\w*|stress(ed|es|ing)?|emphasi[sz]\w*|urg(e|ed|es|ing)|"
    r"call(ed|s|ing)? for|uph(o|e)ld\w*|adher\w*|consistent\w*|unwavering|steadfast\w*|"
    r"line of|renew(ed|s|ing)? (its |the |their )?call|unchanged|as before|as usual|"
    r"business as usual|status quo|nothing (stricter|looser|new)|procedural|"
    r"repeat\w* ([\w'-]+ ){0,2}(long-?standing|familiar|standard|usual)|"
    r"long-?standing (position|policy|line|stance|wording)|"
    r"same ([\w'-]+ ){0,3}as (before|last year|usual|ever|in previous years)|"
    r"untouched|as normal|operating normally|"
    r"(stays?|stayed|remains?|remained) (as (it|they) (is|are|was|were)|the same|stable)|"
    r"dismiss\w* ((the|these|those|such) )?(story|stories|rumou?rs?|reports?|talk|claims?|"
    r"suggestions?)|similar (level|rate|pace)|similar to (last|the previous) year|"
    r"no (new|fresh) ([\w'-]+ )?(agreements?|deals?|measures?|steps?|announcements?|partners|"
    r"targets|countries|participants|exhibitors|investors|"
    r"mechanisms|regulations|rules|policies|incentives|projects|concessions|offers|orders|"
    r"instructions|arrivals|penalties|inspections|bod(y|ies)|campaigns?)|unfounded|untrue|unshak(e)?able|immutable|"
    rf"{_CAME_TO_NOTHING}|"
    r"existing (arrangements?|system|rules|terms|policy|policies|regulations|line|framework|"
    r"procedures|restrictions)|continuity|remind(ed|s|ing)?|"
    r"patterns (seen|documented|observed) in (previous|earlier|past|prior) years|"
    r"mirror(s|ed|ing)? ([\w'-]+ ){0,3}(statements?|documents?|wording|language|formulations?)|"
    r"repeat\w* ([\w'-]+ ){0,3}(demands?|calls?|line|position|pledges?)|"
    r"(still|remains?|remained) (in (force|place|effect)|the norm)|word for word|"
    r"nothing (has |would |will )?chang(ed|e)|no change|flat|(at|by) (roughly |about )?the same "
    r"(rate|pace|level)|steady pace|keep\w* (a |its |up )?(tight|strict|firm|close) "
    r"(grip|control|lid|rein|cap)|at (last year.s|the previous year.s) levels?|"
    r"no (sign|signs|indication|evidence) of (a |any )?(change|shift|let-up|policy shift)|"
    r"same size as)\b"
)

# "not", "cannot", "no longer", "unable to" within a few words before a cue.
# "No sign that North Korea will reopen": the negation governs a whole clause, so it may
# stand further back than three words (still within the window searched).
NEGATION_BEFORE = re.compile(
    r"(\b(not|no|never|cannot|can't|couldn't|won't|didn't|don't|doesn't|isn't|wasn't|"
    r"aren't|weren't|unable to|without|nor|neither|none|nobody|no longer|yet to|failed to|"
    r"rather than|"
    r"struggl(ed|es|ing) to|"
    r"instead of|"
    r"denied|den(y|ies|ying)|dismiss(ed|es|ing)?|rul(e|ed|es|ing) out|refused to)\b(\s+\S+){0,3}"
    r"|\bno (signs?|indications?|plans?|intention|evidence|word|news|notice)( yet)?"
    r"( that| of| to)?\b"
    r"(\s+\S+){0,6}"
    # "no form of economic exchange can be permitted"
    r"|\bno (\S+\s+){1,4}(can|could|will|would|may|shall)( be)?"
    r"|\b(dismiss\w*|den(y|ies|ied|ying)|not confirm(ed)?|(brush(ed|es|ing)? )?(off|aside)) "
    r"([\w'-]+ ){0,2}(talk|reports?|rumou?rs?|claims?|questions) "
    r"(that|of|about)\b(\s+\S+){0,6})"
    r"\s*$"
)
# The end of a restriction: "stopped confiscating", "lifted the ban", "no longer raids". A
# tightening cue right after one of these reports a loosening.
CESSATION_BEFORE = re.compile(
    r"\b(stopp?(ed|ing|s)?|ceas(e|ed|es|ing)|end(ed|s|ing)?|no longer|lift(ed|ing|s)?|"
    r"scrapp?(ed|ing|s)?|abolish\w*|rescind\w*|revok\w*|repeal\w*|call(ed|s|ing)? off|"
    r"wound down|winding down|eas(ed|ing|es)|relax(ed|ing|es)|loosen(ed|ing|s)|"
    r"soften(ed|ing|s)|scal(ed|ing|es) back|trimm?(ed|ing|s)?|remov(e|ed|es|ing)|"
    r"narrow(ed|ing|s)?|roll(ed|ing|s)? back|retreat\w* from|step(s|ped|ping)? back from|"
    r"back(ed|ing|s)? away from|revers(e|ed|es|ing|al of))\b(\s+\S+){0,3}\s*$"
    # "dropping earlier wording that required": not "trade dropped after the ban"
    r"|\bdropp(ed|ing) (the |its |their |an? )?(earlier |previous |former |old )?(\S+ )?"
    r"(that |which )?$"
    # "ending a 2023 rule that sent all imports through state shops"
    r"|\b(end(ed|ing|s)?|scrapp?(ed|ing|s)?|abolish\w*|lift(ed|ing|s)?) (a|an|the) ((19|20)\d\d )?"
    r"(rule|ban|order|requirement|restriction) (that|which) $"
)
# The same, said after the restriction: "as the crackdown eases", "the ban was lifted".
# (A few words may stand between: "the ban on importing 'domestically made' goods lifted";
# ``classify.cues`` tries the pattern at each of them.)
CESSATION_AFTER = re.compile(
    r"((is|was|were|has been|had been|have been|being|now|finally|quietly)\s+){0,2}"
    r"(eas(ed|es|ing)|lifted|relax(ed|es|ing)|loosen(ed|s|ing)|end(ed|s|ing)|"
    r"wound down|winds? down|scrapped|rescinded|revoked|repealed|called off|laps(e|ed|es|ing)|"
    r"pulled out)\b"
)
# A negation that states the policy outright ("no plans to reopen"), not a doubt about it.
NO_PLANS = re.compile(r"\bno (plans?|intention|signs?|indications?)\b")
# A reported move said to be false: "talk of relaxed rules proves unfounded".
DENIAL_AFTER = re.compile(
    r"\b((prov(e|ed|es|en)|(is|was|were|are|been)|turn(ed|s)? out|appear(s|ed)?) (to be )?"
    r"(unfounded|untrue|false|denied|dismissed|rejected|ruled out|not true)|"
    r"(has|have|had) not materiali[sz]ed|(has|have|had) not been borne out|"
    rf"{_CAME_TO_NOTHING})\b"
)
# One of these is in every match of DENIAL_AFTER: a clause without any cannot match it.
DENIAL_AFTER_WORDS = (
    "unfound",
    "untrue",
    "not true",
    "false",
    "baseless",
    "groundless",
    "denied",
    "dismissed",
    "rejected",
    "ruled out",
    "materiali",
    "borne out",
    "came to nothing",
    "come to nothing",
)
# A negation that denies a report ("dismissing reports that workers were ordered home"): the
# line holds, so a denied tightening confirms rather than vanishing.
DENIAL = re.compile(
    r"\b(den(y|ies|ied|ying)|dismiss\w*|rul(e|ed|es|ing) out|brush\w* (off|aside))\b"
)
# An opening that carries on rather than starts: "continues to welcome investors", "still
# allows", "went on importing through ship-to-ship transfers".
PERSISTENCE_BEFORE = re.compile(
    r"\b(still|continu\w*( to)?|went on|kept( on)?|keeps( on)?|keep( on)?|remains?|remained|stays?|"
    r"stayed)\s+(\S+\s+){0,2}[\"']?$"
)
# A restriction named as the time since which something holds ("the first tour since the
# border was closed in 2020", "since the pandemic border closure"), or as what had been
# ("money changers who had been driven underground by a crackdown"): background, not news.
# (Not applied to openings: "since the border reopened" as background was tried in rules-11
# and cost more on unseen sets than it gained.)
SINCE_BEFORE = re.compile(
    r"\bsince (the |its |their |a )?([\w'-]+ ){0,4}((was|were|had been|has been|have been) )?$"
    r"|\bhad (long )?been ([\w'-]+ ){0,4}$"
    # "the officers it had stationed inside trading firms": what had been, in a relative clause
    r"|\b(it|they|which|that|who) had $"
    # "popular before North Korea shut its border in 2020"
    r"|\bbefore (north korea|pyongyang|the (state|authorities|government|regime)) $"
    # "absent since January 2020, when Pyongyang sealed its borders": the date's event
    r"|\b(since|in) ([\w'-]+ ){0,2}(19|20)\d\d,? when ([\w'-]+ ){0,2}$"
    # "after two years in which dozens were arrested"
    r"|\bafter ([\w'-]+ ){0,3}(years?|months|decades?) (in which|during which|when) "
    r"([\w'-]+ ){0,4}$"
    # "again allowed after a two-year freeze": the restriction the news ends
    r"|\bafter (a|an) ([\w'-]+ )?([\w]+-(year|month|week)|years?-long|months?-long|long|lengthy) $"
)
# A clause about how things stood before the news ("until now, firms were vetted", "during
# the pandemic the border was sealed"): its directional cues are background and weigh little.
BACKGROUND = re.compile(
    r"\b(until (now|recently|then|((late|early) )?(this|last) "
    r"(year|month|week|spring|summer|autumn|fall|winter))|"
    r"^in (19|20)\d\d\b|(from|between) (19|20)\d\d (to|and) (19|20)\d\d|"
    # "were previously vetted" sets the clause in the past; "a monopoly previously held by
    # central firms" only says whose the monopoly was (a participle after a noun).
    r"(?:(?<=\bwere )|(?<=\bwas )|(?<=\bhad )|(?<=\bhave )|(?<=\bhas )|(?<=\bbeen )|"
    r"(?<=\bis )|(?<=\bare ))(previously|formerly)|"
    r"(previously|formerly)(?! (\w+ed|held|run|won|given|granted|made|kept|built|sold|paid|"
    r"taken|set|shut)\b)|in the past|"
    r"(they|we|he|she|firms|companies|traders|merchants|people|officials|residents) used to|"
    # "stricter than during the pandemic" compares: the news is the comparison.
    r"(?<!than )(during|before) the ([\w'-]+ ){0,2}(pandemic|covid|closure|lockdown|change)|"
    r"since the (19|20)\d0s|(mark\w*|celebrat\w*|commemorat\w*) ([\w'-]+ ){0,3}anniversary)\b"
)
# Report language that weakens a claim. "May now" grants permission; it is not a hedge, nor
# is the month ("in May", "on May 12", "May 2025").
HEDGE = re.compile(
    r"\b((?<!in )(?<!on )(?<!since )(?<!until )(?<!early )(?<!late )(?<!mid-)(?<!of )"
    r"(?<!from )(?<!last )(?<!this )(?<!next )"
    r"may(?! now| also now| again| once again| no longer|,? \d| 20\d\d)|might|could|reportedly|"
    r"rumou?r\w*|unconfirmed|"
    r"allegedly|apparently|"
    r"possibly|perhaps|speculat\w*|considering|expected to|(?<!no )plans? to|is said to|"
    r"(predicted|expected|anticipated|hoped) (that|to)|"
    r"unclear|not confirmed|whether(?! or not))\b"
)
# "May" that a decree, notice or set of rules grants ("under the decree, factories may export
# their surplus"): permission, not a hedge, when it is the clause's only hedge. The comma
# sets the source apart from who may act ("the decree may open the door" speculates).
PERMISSION = re.compile(
    r"\b(decrees?|regulations?|rules|guidelines?|notices?|laws?|directives?|ordinances?)\b"
    r"[^\n]*,[^\n]*\bmay (now )?(export|import|sell|buy|trade|conduct|open|operate|sign|deal|"
    r"engage|travel|keep|hire|send|set up|establish)\b"
)
# A clause that says a policy is restated ("KCNA reaffirmed the import-substitution drive"):
# a tightening cue in it describes the stance, not a new move.
RESTATEMENT = re.compile(
    r"\b(reiterat\w*|reaffirm\w*|restat\w*|uph(o|e)ld\w*|adher\w*|"
    r"repeat\w* ([\w'-]+ ){0,2}(familiar|long-?standing|standard|usual|same|rules?|"
    r"instructions?|orders?|language|wording)|repeat(ed|s|ing) that|"
    r"reissu\w* ((the|its|their|an?) )?([\w'-]+ )?(instructions?|orders?|guidelines?|directives?|"
    r"warnings?|calls?|decrees?|statements?|appeals?)|"
    r"renew(ed|s)? every year|repeat(s|ed)?(?=:)|"
    r"(stay|remain)s? in (place|force|effect)|"
    r"(cap|limit|ceiling|ban|restrictions?) ([\w'-]+ ){0,5}to continue|"
    # "a delegation about the same size as in the previous two years": continuity, not a move
    r"the same (size|level|scale|number) as (in )?(the )?"
    r"(previous|past|prior|last|earlier)|"
    r"echo\w* ([\w'-]+ ){0,2}(language|wording|lines?))\b"
)
# A restriction that carries on rather than starts: "surveillance remains intense". Not
# "may no longer keep cash abroad": a keeping that ends.
PERSISTENCE = re.compile(
    r"\b(still|(?<!that )(?<!which )(?<!who )remain\w*|continu\w*|persist\w*|unchanged|as before|"
    r"maintain\w*|"
    # Not "cash kept in China": a participle saying where, not that a rule carries on.
    r"k(?<!longer k)(?<!not k)(ept(?! (at|abroad|inside|outside|overseas|by)\b)"
    r"(?! in (?!place|force|effect)\b)|eeps?)|as usual|stay(s|ed|ing)?)\b"
)
