"""How heated the caller is, turn by turn and overall.

Each caller turn gets a level on the portal's ordinal scale (0 calm .. 4 escalated) from cue
lexicons (repetition, anger, profanity, threats, demands for a human) plus VADER's compound score
and shouting (capitals, "!!"). VADER alone never goes past "frustrated": reporting a lost card is
negative text from a calm caller, so the words a contact-centre call is made of are taken out of
its lexicon.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from assist.programs.rules.text import ENGLISH_WORDS, clean, phrases, words
from assist.schema import SENTIMENT_LEVELS, Conversation, SentimentLevel

__all__ = ["HUMAN_REQUEST", "CallSentiment", "TurnSentiment", "analyze"]


class _Vader(SentimentIntensityAnalyzer):  # type: ignore[misc]  # vaderSentiment has no types
    """VADER with its scores unchanged, in time linear in the text.

    VADER lowercases the whole text again for each sentiment word it weighs (negations and idioms look at most
    three words back and two ahead), and on a "but" finds each sentiment to rescale with ``list.index``, the
    first one equal to it. Here the first two see only the words they look at, and the third keeps, for each
    value, where it stands, so a long turn costs what its words cost.
    """

    @staticmethod
    def _negation_check(valence: float, words_and_emoticons: list[str], start_i: int, i: int) -> float:
        start = max(0, i - 3)
        return float(
            SentimentIntensityAnalyzer._negation_check(
                valence, words_and_emoticons[start : i + 1], start_i, i - start
            )
        )

    @staticmethod
    def _special_idioms_check(valence: float, words_and_emoticons: list[str], i: int) -> float:
        # Only asked about the fourth word on (i >= 3), so the window always starts three words back.
        start = i - 3
        return float(
            SentimentIntensityAnalyzer._special_idioms_check(valence, words_and_emoticons[start : i + 3], 3)
        )

    @staticmethod
    def _but_check(words_and_emoticons: list[str], sentiments: list[float]) -> list[float]:
        lowered = [str(word).lower() for word in words_and_emoticons]
        if "but" not in lowered:
            return sentiments
        but = lowered.index("but")
        # Where each value stands (among the sentiments visited so far), first place first: VADER rescales the
        # first sentiment equal to the one it visits, halving it before the "but" and adding half after.
        places: dict[float, list[int]] = {}
        for index, sentiment in enumerate(list(sentiments)):
            heapq.heappush(places.setdefault(sentiment, []), index)
            first = places[sentiment][0]
            if first == but:
                continue
            rescaled = sentiment * 0.5 if first < but else sentiment * 1.5
            heapq.heappop(places[sentiment])
            heapq.heappush(places.setdefault(rescaled, []), first)
            sentiments[first] = rescaled
        return sentiments


_ANALYZER = _Vader()
#: Words every service call uses neutrally ("I lost my card", "dispute a charge", "cancel my order").
_DOMAIN_NEUTRAL = words(
    "lost lose stolen steal fraud fraudulent charge charged charges debt dispute disputed bill pay "
    "payment cancel cancelled canceled problem problems issue issues error late fee fees fine no "
    "sorry please help sick pain emergency urgent wrong owe owed overdue overdraft declined decline "
    "block blocked locked freeze frozen crash broken broke damage damaged missing fail failed failure "
    "reject rejected denied deny risk limit stop kill killing hard shoot"
)
for _word in _DOMAIN_NEUTRAL:
    _ANALYZER.lexicon.pop(_word, None)


#: Words VADER scores negative; a turn with none of them (and no negated lexicon word) cannot score negative.
_NEGATIVE_WORDS = frozenset(w for w, v in _ANALYZER.lexicon.items() if v < 0)
_NEGATIONS = frozenset({"not", "no", "never", "nothing", "without", "nobody", "none"})
_WORD = re.compile(r"[a-z']+")


def _compound(text: str) -> float:
    """VADER's compound score, or 0 when the turn holds nothing VADER could score negative (VADER is slow)."""
    words = set(_WORD.findall(text.lower()))
    if not words & _NEGATIVE_WORDS and not (
        (words & _NEGATIONS or any(w.endswith("n't") for w in words)) and words & ENGLISH_WORDS
    ):
        return 0.0
    return float(_ANALYZER.polarity_scores(text)["compound"])


HUMAN_REQUEST = phrases(
    r"(?:speak|talk|chat)(?:ing)? (?:to|with) (?:a |an |the |your |some )?(?:real |actual |live |human |another )?"
    r"(?:person|human|agent|representative|rep|manager|supervisor|someone|somebody|operator|specialist|people)",
    r"(?:transfer|connect|put) me (?:to|through|with|over)",
    r"(?:get|give|find) me (?:a |an |the |your )?(?:real |actual |live |\w+ )?"
    r"(?:person|human|agent|representative|manager|supervisor|operator)",
    r"(?:want|need|demand)(?:s|ed)? (?:a |an |the |your )?(?:real |actual |live )?"
    r"(?:person|human|agent|representative|manager|supervisor|operator)\b",
    r"real (?:person|human)",
    r"human being",
    r"live (?:agent|person|representative)",
    r"\boperator\b",
    r"escalate (?:this|my|it)",
    r"(?:your|a|the) (?:manager|supervisor)\b",
)
#: Threats to take the matter further: legal action, regulators and other authorities, the caller's bank
#: (a chargeback), the press, formal complaints, leaving.
_THREAT = phrases(
    r"(?:call|contact|get|hire|hiring|have|got|talked to|spoke to|speak to|calling|talking to) (?:my|a|an) "
    r"(?:lawyer|attorney)",
    r"my (?:lawyer|attorney)",
    r"\bsue\b",
    r"suing",
    r"legal action",
    r"small claims",
    r"better business bureau",
    r"\bbbb\b",
    r"\bcfpb\b",
    r"\bfcc\b",
    r"\bftc\b",
    r"attorney general",
    r"regulator",
    r"commissioner",
    r"(?:utility|utilities|public service|trade|insurance) commission\b",
    r"ombudsman",
    r"(?:labou?r|consumer protection) (?:department|board|agency|office)",
    r"department of (?:labou?r|transportation|insurance|consumer)",
    r"wage claim",
    r"charge ?back",
    r"disput\w* (?:it|this|that|the (?:charges?|payment|transaction)) with (?:my|the) (?:bank|card|credit card)",
    r"(?:i'?m|i am|i'?ll|i will|gonna|going to) (?:be )?(?:call|calling|contact|contacting) (?:the )?(?:police|cops)",
    r"(?:call|calling|contact|contacting|go to|going to) (?:the |my )?(?:local )?(?:news|press|media)\b",
    r"(?:file|filing|make|lodge|submit)\w* (?:a |an )?(?:\w+ ){0,2}complaint",
    r"report(?:ing)? (?:you|this|your company)",
    r"(?:i'?m|i am) (?:cancell?ing|closing|leaving|switching)",
    r"take my business elsewhere",
    r"want out of (?:this|my|the) (?:contract|agreement|plan)",
    r"switch(?:ing)? (?:to )?(?:another|a different) (?:bank|provider|company)",
    r"social media",
    r"leave a (?:bad )?review",
    r"(?:one|1)[- ]star",
    r"(?:post|write|put)\w* (?:this|it|about (?:this|you|your company)) (?:on|all over) "
    r"(?:twitter|facebook|yelp|reddit|tiktok|instagram|google|online|the internet)",
)
_ANGER = phrases(
    r"unacceptable",
    r"outrageous",
    r"incompetent",
    r"useless",
    r"pathetic",
    r"a joke",
    # "This is a scam" accuses the service; "I've been scammed", "the scammer called me" report a crime.
    r"\bscam\b(?! victim)",
    r"scamming (?:me|us|people|customers)",
    r"rip ?off",
    r"ripping me off",
    r"robbery",
    r"\btheft\b",
    r"stealing",
    r"sick (?:and tired|of)",
    r"fed up",
    r"are you (?:kidding|serious|joking)",
    r"kidding me",
    r"(?:got|have|gotta) (?:to )?be (?:kidding|joking)",
    r"you people",
    r"what the (?:hell|heck|fuck)",
    r"furious",
    r"livid",
    r"pissed",
    r"\bangry\b",
    r"\bmad\b",
    r"disgust",
    r"unbelievable",
    r"\bdamn",
    r"\bhell\b",
    r"\bcrap",
    r"\bshit",
    r"\bfuck",
    r"bullshit",
    r"screw (?:you|this)",
    r"stupid",
    r"idiot",
    r"\bliar",
    r"lying to me",
    r"enough is enough",
    r"\bshame on",
)
_FRUSTRATION = phrases(
    r"(?:second|third|fourth|fifth|sixth|\d+(?:st|nd|rd|th)) time",
    r"how many times",
    r"(?:once|yet) again",
    r"(?:happen(?:ed|ing|s)?|charged|doing (?:it|this)|broke|broken|down|wrong|late|missing) again",
    r"still (?:not|no)\b",
    r"still (?:hasn'?t|haven'?t|isn'?t|doesn'?t|don'?t|can'?t|won'?t|waiting|broken|wrong|missing)",
    r"already (?:told|gave|explained|called|tried|did|done|sent|paid|left)",
    r"(?:voicemails|messages|emails) already",
    r"keep (?:getting|telling|asking|saying|charging|calling|happening|guaranteeing)",
    r"kept (?:getting|telling|charging)",
    r"been (?:waiting|trying|on hold|calling)",
    r"on hold for",
    r"not (?:even )?once",
    r"every (?:single )?time (?:i|we) (?:call|try|come)",
    r"of course (?:you|it|they) (?:can'?t|won'?t|don'?t|doesn'?t|didn'?t)",
    r"did you (?:even )?(?:hear|listen)",
    r"you'?re (?:telling|saying to) me",
    r"can'?t keep (?:waiting|doing|calling)",
    r"frustrat",
    r"annoy",
    r"upset",
    r"disappointed",
    r"not happy",
    r"unhappy",
    r"not okay",
    r"not ok\b",
    r"doesn'?t make (?:any )?sense",
    r"(?:a )?(?:mess|nightmare)\b",
    r"waste of (?:my )?time",
    r"not fair",
    r"unfair",
    r"you (?:guys )?(?:said|told me|promised)",
    r"(?:i was|we were) (?:told|promised)",
    r"(?:i'?m|i am) (?:so |really |very )?(?:tired|done)",
    r"can'?t believe",
    r"come on\b",
    r"seriously",
    r"this is taking",
    r"taking (?:so|too) long",
    r"not acceptable",
    r"stressed",
    r"stressful",
    r"not listening",
    r"(?:so|this|that|be) (?:hard|difficult|complicated)\b",
    r"do you even",
    r"(?:can|could) you just",
    r"can'?t you (?:just|guys)",
    r"this is an emergency",
    r"ridiculous",
    r"absurd",
    r"insane",
    r"terrible",
    r"horrible",
    r"awful",
    r"worst",
)
#: Nobody got in touch, nothing arrived: a grievance, but said once it is mild annoyance; irritation is
#: "sustained" (frustrated) when the caller comes back to it.
_COMPLAINT = phrases(
    r"hasn'?t (?:called|contacted|responded|gotten back)",
    r"(?:haven'?t|hasn'?t|never) heard",
    r"no ?one (?:has|is|ever|will|told|called|came|showed|checked|said)",
    r"nobody",
    r"never (?:received|got|showed|arrived|came)",
)
#: Qualified feelings ("kind of annoying") stay mild even when the bare word would not be.
_HEDGED = phrases(
    r"(?:a bit|a little|kind of|kinda|sort of|slightly|somewhat) (?:\w+ )?(?:annoy|frustrat|confus|worr|concern|"
    r"upset|irritat|disappoint|odd|strange|weird|inconvenien|not great)\w*",
)
_MILD = phrases(
    r"confus",
    r"worried",
    r"concerned",
    r"inconvenien",
    # "mm hmm" is assent, not doubt.
    r"(?<!mm )(?<!m )\bhmm+\b",
    r"(?:that'?s|it'?s) (?:strange|odd|weird)",
    r"not sure why",
    r"i hope (?:so|this|that)",
    r"hoping (?:this|that|you)",
    r"bummer",
    r"irritat",
    r"\bugh\b",
    r"\bsigh\b",
    r"(?:why|how) (?:is|was|did|does|would) (?:this|that|it|there)",
    r"expected (?:better|more)",
    r"i don'?t understand",
    r"that'?s not (?:right|correct)",
    r"taking a while",
    r"i (?:just )?said\b",
    r"(?:fine|okay|ok),? i guess",
    r"been at this",
)
#: Capitalized words that are not shouting.
_ACRONYMS = frozenset(
    words(
        "ATM PIN SSN ID OK USA US DOB SMS PDF APR IRA CD ACH FAQ TV AM PM CEO IRS FBI USPS UPS DHL EMI "
        "IBAN VIP HSA FSA PPO HMO ER GPS WIFI LTE SIM APP IT HR"
    )
)
_CAPS_WORD = re.compile(r"\b[A-Z]{3,}\b")
_LETTER_WORD = re.compile(r"\b[A-Za-z]{3,}\b")


@dataclass(frozen=True, slots=True)
class TurnSentiment:
    index: int
    #: 0 calm .. 4 escalated.
    level: int
    compound: float
    #: The words that set the level, as they appear in the turn (empty when only VADER spoke).
    cue: str
    #: The caller asked for a human.
    human_request: bool
    #: The level comes from a grievance ("nobody called me"), mild unless the caller returns to it.
    complaint: bool = False


@dataclass(frozen=True, slots=True)
class CallSentiment:
    level: SentimentLevel
    turns: list[TurnSentiment]
    #: The caller turn that throws the agent's words back as a short question ("Rejected?"), if any.
    echo: int | None


def _shouting(text: str) -> bool:
    # Lowercase text (most speech recognition output) has no capitals to scan for.
    shouted = [] if text.islower() else [w for w in _CAPS_WORD.findall(text) if w not in _ACRONYMS]
    if len(shouted) >= 3 or "!!" in text:
        return True
    return len(shouted) >= 2 and len(shouted) * 2 >= len(_LETTER_WORD.findall(text))


def _turn(index: int, text: str, *, heated_before: bool) -> TurnSentiment:
    compound = _compound(text)
    shouting = _shouting(text)
    text = text.lower()
    level, cue = 0, ""
    hedged = _HEDGED.search(text)
    if hedged:
        level, cue = 1, hedged.group(0)
        text = text[: hedged.start()] + text[hedged.end() :]
    for pattern, value in ((_MILD, 1), (_COMPLAINT, 1), (_FRUSTRATION, 2), (_ANGER, 3)):
        found = pattern.search(text)
        # A hedge ("we still don't have dinner, that's kind of not great") keeps the turn mild; anger does not.
        if found and value >= level and not (hedged and value == 2):
            level, cue = value, found.group(0)
    # Only strongly negative wording counts on its own: a mildly negative turn is usually worry or the
    # problem itself ("Oh. Is that bad?", "my email got hacked"), and worry is not frustration.
    if compound <= -0.75 and level < 2 and not hedged:
        level = 2
    if shouting and level < 3:
        level = max(level + 1, 2)
    human = HUMAN_REQUEST.search(text)
    if human:
        cue = cue or human.group(0)
        level = max(level, 1)
    threat = _THREAT.search(text)
    # A threat to take it further from a caller who is already heated is the top of the scale.
    if threat and (level >= 2 or heated_before or human):
        level, cue = 4, threat.group(0)
    elif threat:
        level, cue = max(level, 2), cue or threat.group(0)
    complaint = level == 1 and _COMPLAINT.search(text) is not None
    return TurnSentiment(index, level, compound, cue, human is not None, complaint=complaint)


def analyze(conversation: Conversation) -> CallSentiment:
    """Per-turn levels for the caller's turns, the call's level and the caller's echo of the agent."""
    turns: list[TurnSentiment] = []
    heated = False
    echo: int | None = None
    agent_said = ""
    for index, turn in enumerate(conversation.turns):
        text = clean(turn.content)
        if turn.role != "user":
            agent_said = text.lower()
            continue
        if not text:
            continue
        if echo is None and not heated and _echoes(text, agent_said):
            echo = index
        scored = _turn(index, text, heated_before=heated)
        heated = heated or scored.level >= 2 or scored.complaint
        turns.append(scored)
        agent_said = ""
    return CallSentiment(level=_overall(turns), turns=turns, echo=echo)


#: "Rejected?", "Garnished? For a bill I already paid?", "A store in Dallas?": a calm caller throwing the
#: agent's own words back as a short question is the moment the mood turns.
_ECHO = re.compile(r"^([^.?!]{2,40})\?")


def _echoes(text: str, agent_said: str) -> bool:
    question = _ECHO.match(text)
    if question is None or not agent_said or len(question.group(1).split()) > 5:
        return False
    content = [w for w in _WORD.findall(question.group(1).lower()) if len(w) > 3]
    return bool(content) and all(re.search(rf"\b{re.escape(w[:5])}", agent_said) for w in content)


def _overall(turns: list[TurnSentiment]) -> SentimentLevel:
    if not turns:
        return "calm"
    peak = max(t.level for t in turns)
    backed = [t for t in turns if t.level == peak and t.cue]
    # A single VADER-only dip is weak evidence; a cue or a repeated dip is not.
    if peak >= 2 and not backed and sum(t.level >= 2 for t in turns) < 2:
        peak = 1
    # Irritation is sustained when the caller comes back to a grievance after stating the problem.
    if peak == 1 and sum(t.complaint for t in turns[1:]) >= 2:
        peak = 2
    return SENTIMENT_LEVELS[peak]
