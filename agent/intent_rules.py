"""Keyword rules for patient replies: the regexes that were the whole offline brain's ears before the learned
head (agent/intent_model.py). They stay for what they are measurably precise at on replies they were not
written against (cancel, human, not_patient, confirm, opt-out, wrong number, callback, reschedule), and for
negation, which mean-pooled embeddings blur ("don't cancel" sits next to "cancel"). `agent.intents`
combines them with the head; use that, not this module."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Label = Literal["confirm", "reschedule", "cancel", "callback_later", "not_patient", "wrong_number", "opt_out",
                "question", "human", "unclear"]
LABELS: tuple[str, ...] = ("confirm", "reschedule", "cancel", "callback_later", "not_patient", "wrong_number",
                           "opt_out", "question", "human", "unclear")
Context = Literal["identity", "appointment", "yes_no", "slot_choice"]

# DTMF keys (design: 1 confirm, 2 reschedule, 3 cancel, 0 front desk, 9 stop calling).
DTMF_INTENTS: dict[str, Label] = {"1": "confirm", "2": "reschedule", "3": "cancel", "0": "human", "9": "opt_out"}
DTMF_TEXT = "[keypad {digit}]"
_DTMF_RE = re.compile(r"\[keypad ([0-9*#])\]")


@dataclass(frozen=True)
class Intent:
    text: str
    intent: Label
    negative: bool = False        # a bare "no"/"nope": the context decided the label
    choice: int | None = None     # "the second one" -> 2 (1-based) when choosing among offered slots
    dtmf: str | None = None


_FILLERS = re.compile(r"\b(um+|uh+|erm|er|hmm+|mm+|ah+|oh|well|like|so|okay so|you know|i mean|actually|"
                      r"honestly|basically)\b[,.]?\s*")


def normalize(text: str) -> str:
    t = text.lower().replace("’", "'").replace("‘", "'")
    t = re.sub(r"[^a-z0-9'?\[\]#* ]+", " ", t)
    t = re.sub(r"\b(can ?not|cant)\b", "can't", t)
    t = re.sub(r"\b(dont)\b", "don't", t)
    t = re.sub(r"\b(wont)\b", "won't", t)
    t = re.sub(r"\b(im)\b", "i'm", t)
    t = re.sub(r"\b(isnt)\b", "isn't", t)
    t = re.sub(r"\b(doesnt)\b", "doesn't", t)
    t = re.sub(r"\b(thats)\b", "that's", t)
    t = re.sub(r"\b(ill)\b", "i'll", t)
    t = re.sub(r"\b(id)\b", "i'd", t)
    t = re.sub(r"\b(whats)\b", "what's", t)
    t = re.sub(r"\bgonna\b", "going to", t)
    t = re.sub(r"\bwanna\b", "want to", t)
    t = re.sub(r"\s+", " ", t).strip()
    return t


def _any(patterns: str, t: str) -> bool:
    return re.search(patterns, t) is not None


OPT_OUT = (r"\b(stop|quit|cease) (calling|call|phoning|contacting|ringing)|don't (ever )?(call|contact|phone|ring) "
           r"(me|us|this number|here)|don't call (me )?(again|anymore|any more)|do not (call|contact)|never call|"
           r"take (me|my number|this number) off|remove (me|my number|this number)|off (your|the) (list|calling list)|"
           r"^(please |just |ok |okay )*stop( (it|now|please|just stop))*$|please stop\b(?! by)|"
           r"(don't|do not) want (these|your|any more|anymore|any) (\w+ )?calls|unsubscribe|no more (\w+ )?calls|"
           r"stop these calls|lose my number|opt out")
WRONG = (r"wrong (number|person|house)|no (one|body) (here )?(by|with|of|named|called)( like)? th|nobody (here )?(by|"
         r"named|called|with|of)( like)? th|(there's|there is) no (one|body|\w+) (here|by that)|never heard of|"
         r"don't know (any|a|who|an?) |(you've|you have|you got) the wrong|not the right number|"
         r"no \w+ (lives|living) here|doesn't live here|dialed wrong|misdialed|no such person")
HUMAN = (r"\b(speak|talk|chat) (to|with) (a |an |the |someone|somebody|real|actual|live|human|person|staff|"
         r"receptionist|front desk|office|doctor|nurse)|real person|live person|actual person|human being|"
         r"\bhuman\b|\boperator\b|representative|front desk|transfer me|put me through|connect me|"
         r"get me (a|someone|somebody)|(is there|can i get) (someone|somebody|a person)|agent please|"
         r"not a (robot|machine)|are you a (robot|machine|bot)")
NOT_PATIENT = (r"this is (his|her|their) \w+|i'm (his|her|their) \w+|(he|she|they)('s| is| are) not (here|home|"
               r"in|available|around)|(he|she|they)('s| is| are)n't (here|home|in|available|around)|"
               r"not (here|home|available|in) right now|this isn't (him|her)|this is not (him|her)|"
               r"(he|she)'s (at|out|away|asleep|sleeping|at work|working)|can i take a message|"
               r"take a message|speaking for (him|her)|on (his|her) behalf|not (him|her)\b|"
               r"(he|she) can't come to the phone|(he|she)'s (busy|out|sleeping)|"
               r"(he's|she's|they're) not (here|home|in|available|around)|i'm not (him|her|the patient|who you)")
CALLBACK = (r"call (me |us |him |her )?(back|later|again|another time|tomorrow|in an hour|this evening|tonight)|"
            r"bad time|not a good time|busy right now|i'm (busy|driving|at work|in a meeting|in the middle)|"
            r"can't talk|can't really talk|try (me )?(again )?(later|tomorrow|another)|ring (me )?back|"
            r"in a meeting|later today|give me a call (later|back|tomorrow)|reach me (later|tomorrow)")
_NEG_CANCEL = r"(don't|do not|not|no need to|never|won't) (want to |wanna |need to |going to |gonna )?cancel"
CANCEL = (r"\bcancel|don't need (it|the appointment|that appointment|to come)|no longer need|won't need|"
          r"not (going to be )?(coming|going) (in|at all)|call it off|scrap (it|that|the appointment)|"
          r"(drop|delete) (it|the appointment|my appointment)|i'm not coming|we're not coming|"
          r"(found|going to|switched to|seeing) (a |another )?(different|another|new) (doctor|clinic|office)|"
          r"already (been seen|saw)|feeling better now so|don't want (it|the appointment|to come)|"
          r"(won't|will not) be (coming|going)( in)? at all|no (longer )?need for (it|the appointment|that appointment|"
          r"the visit)")
RESCHEDULE = (r"reschedul|\bmove (it|the|my|that)|change (it|the|my|that)|(different|another|other|new) "
              r"(time|day|date|slot|appointment)|can't make|can't come|can't do|won't (be able to )?make|"
              r"not going to make|not going to be able|not (be )?able to (make|come|do)|won't be able|rather|instead|"
              r"push (it|that)|"
              r"earlier|later (time|date|in the day|in the week|one)|\bconflict|something came up|"
              r"doesn't work|won't work|not work for me|isn't good|is bad for me|bad day|"
              r"\bnone of (them|those|these|that|the (times|slots|options))\b|\bneither (of (them|those|these)|one)\b|"
              r"(any|anything|something) (else|available|open|free)|(do|does|would) you have (any|anything|"
              r"something)|what else|(next|this) (week|monday|tuesday|wednesday|thursday|friday)|"
              r"(monday|tuesday|wednesday|thursday|friday)s? (would|works|is) (be )?better|"
              r"(morning|afternoon|evening) (would|works|is) (be )?better|better (on|in|for)|prefer|"
              r"bump it|postpone|out of (town|station|the country|state)|i'll be away|travell?ing|"
              r"(another|some other) time works|"
              r"(after|before) (\d|one|two|three|four|five|six|seven|eight|nine|ten|eleven|noon)|week after|"
              r"(?<!line )(?<!signal )(?<!connection )(?<!reception )\b(is|are) bad\b|"
              r"(monday|tuesday|wednesday|thursday|friday)s? (would|works?|is) (be )?better|"
              r"\b(it|that) (later|earlier)\b|^(next |this |on |maybe )?(monday|tuesday|wednesday|thursday|friday|"
              r"saturday|sunday)s?( (morning|afternoon|evening))?$|^(in the )?(mornings?|afternoons?|evenings?)$")
QUESTION = (r"\b(where|what|when|how|who|which|why)\b.*|^(does|do|is|are|can|will|would|should|could) (the|he|she|it|"
            r"they|there|you|i|we|my|this|that|doctor|dr|doc)\b|\bis (there|it|parking)\b|\b(do|should|can|will|"
            r"does) (i|we|you) (need|bring|park|have to|come|eat|fast)|\bparking\b|\baddress\b|"
            r"\bbring\b|\binsurance\b|\bdirections\b|\bhow long\b|\bprepare|\bfast(ing)?\b")
CONFIRM = (r"^(yes|yeah|yea|yep|yup|ya|yah|sure|correct|right|ok|okay|k|alright|all right|absolutely|definitely|"
           r"of course|certainly|uh huh|mhm|mm hmm|affirmative|indeed|perfect|great|fine|sounds good|"
           r"sure thing|you bet|that's right|that's correct|that's me(?! (done|finished|sorted))|it is|i am|speaking|"
           r"this is (she|he|him|her|me)|you got (him|her|me|it)|yes please|please do|go ahead|confirm|confirmed|"
           r"i think so|i guess|probably|should be|works|good)\b|\bconfirm\b|i'll be there|we'll be there|i'll make it|"
           r"\bsee you (then|there)|(that|it|which|this) (works|is fine|is good|sounds good|is perfect)|"
           r"\bstill (on|coming|good|planning)|that's (perfect|great|fine|good)|"
           r"count me in|i can make it|i can come|i'll come|be there|"
           r"the (first|second|third|last|1st|2nd|3rd|earlier|later) (one|option|time|slot)|"
           r"(first|second|third|last) one|option (one|two|three|1|2|3)|^(the )?(first|second|third|last)\b|"
           r"that's (him|her|me)(?! (done|finished|sorted))|yes it is|"
           r"\b(i'll|we'll) be (in|along)$|\bspeaking\b|this is \w+$|\b(wouldn't|won't|not going to) miss it\b")
# Keeping the booking as it is ("I'd like to keep my appointment", "leave it as it is").
KEEP = (r"\b(keep|keeping) (it|my appointment|the appointment|that appointment|that one|the booking)\b|"
        r"\bno need to change (it|anything|a thing)\b|"
        r"\bleave it (as it is|as is|where it is)\b|\bkeep it (as is|where it is)\b|\bdon't change (anything|it)\b")
# Saying the booking needs no change by negating the change ("I'm not cancelling", "I don't need to
# reschedule", "no need to move it", "nothing needs changing"): a keep, which embeddings read as the change.
NEGATED_CHANGE = (r"\b(don't|do not|no need to|not going to|won't|will not|i'm not|i am not|not|never) (really )?"
                  r"((need|want|have) to |be )?(cancel|cancell?ing|reschedul\w*|chang\w*|mov\w*)"
                  r"( it| anything| a thing| that| the appointment| my appointment)?\b|"
                  r"\bnothing (needs|to) chang\w*\b")


# A no taken back ("no wait, yes I can", "no sorry, I was thinking of something else, yes I'll be there"): what
# follows the last yes-word decides. Found in CV on the third family batch, where the leading "no" made these a
# reschedule (the commonest confusion in every held-out set's counts, too).
_TAIL_COMMITS = r"^(i|we) (can|will|do|am|shall)\b(?! not)|^(i'll|we'll) (be|come|make)\b"


def self_corrected_yes(core: str) -> bool:
    """A leading no, then a yes-word whose tail commits (or is empty), with no negation or change in the tail."""
    yeses = list(re.finditer(r"\b(yes|yeah|yep|yup)\b", core))
    if not yeses or not _any(r"^(no|nope|nah)\b", core):
        return False
    tail = core[yeses[-1].end():].strip()
    return (not negated(tail) and not _any(CANCEL, tail) and not _any(RESCHEDULE, tail)
            and not _any(CALLBACK, tail) and (not tail or _any(CONFIRM, tail) or _any(_TAIL_COMMITS, tail)))


# "I'm busy that day" / "I can't do that one, I'm at work": the busy-ness is about the appointment's time, not
# about talking now, so it asks for another time (CV, third family batch).
APPOINTMENT_TIME_REF = (r"\b(that|this|the) (day|date|one|morning|afternoon|evening|week|time)\b|"
                        r"\bcan't (do|make) (it|that|then)\b")


def negated_change(core: str) -> bool:
    """A keep said by negating a change, with no other change asked for in the rest of the reply ("I don't
    want to cancel but I can't make it" asks for a new time)."""
    if not _any(NEGATED_CHANGE, core):
        return False
    rest = re.sub(NEGATED_CHANGE, " ", core)
    return not (_any(CANCEL, rest) or _any(RESCHEDULE, rest) or _any(CALLBACK, rest) or negated(rest))


REPEAT = (r"^(what|huh|sorry|pardon|come again|excuse me|say that again|sorry what|what did you say|hello|hi|"
          r"can you repeat that|repeat that|what was that|i'm sorry what)$")
# Times on offer: a reply that only names a day and/or a clock time picks one ("thursday at 2", "the 3 pm").
_DAY = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_HOUR = (r"(\d{1,2}(:\d\d)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|noon)"
         r"( ?(am|pm|a m|p m|o'clock|thirty|fifteen|forty five))?")
SLOT_NAMED = (rf"^(the |on |at |uh |um )*({_DAY}( at)?( {_HOUR})?|{_HOUR})( one| slot| time| option)?"
              r"( (works|is good|is fine|is great|sounds good|please|would be great|for me))?( please| thanks)?$")
BACKCHANNEL_YES = (r"^((um|uh|well|oh|er) )?(uh huh|uh-huh|mm hmm|mm-hmm|mhm|mhmm|um hmm)"
                   r"( (yes|yeah|yep|it is|that's me|that's right|correct))?$")
BARE_NEGATIVE = r"^(no|nope|nah|no no|not really|negative|no sir|no ma'am|no thanks|no thank you)$"
# Negation-aware "yes": a yes-word followed by a negation ("absolutely not", "okay no", "right, no, I can't")
# is a no. Idioms that contain a negation but mean yes are taken out before looking for one.
POSITIVE_IDIOMS = (r"\bno (problem|worries|doubt|bother)\b|\bnot a (problem|bother)\b|"
                   r"\bno need to (call|ring|phone)( me| us)?( again| back)?\b|\bwhy not\b|\bcan't wait\b|"
                   r"\b(wouldn't|won't|will not|not going to) miss it\b|\bnot bad\b")
NEGATION = r"\bnot\b|\b(can't|cannot|won't|isn't|wouldn't|ain't)\b|\b(no|nope|nah|none|neither)\b"
# Negative hedges that no CONFIRM pattern covers ("i suppose not", "i don't think so", "that's not right", "i don't
# think i'll make it": CONFIRM sees "i'll make it", and "don't" is not in NEGATION).
NEGATIVE_HEDGE = (r"^(absolutely|definitely|certainly|of course|probably|i guess|i suppose|i think|i'm afraid|"
                  r"afraid|sadly|unfortunately|obviously|surely|hopefully) not\b|"
                  r"\b(don't|do not|wouldn't|would not|don't really) (think|believe) so\b|\bdoubt (it|that)\b|"
                  r"\b(don't|do not) (really )?(think|believe|reckon) (i'll|i will|i can|i could|we'll|we can|"
                  r"i'm going to|i am going to) (make|come|get there|be there|be able)\b|"
                  r"\b(it|that)('s| is) not (me|right|correct|him|her|true)\b|^(it is|i am|i'm) not$")
AFFIRM_SO = r"\bi (think|guess|suppose|believe|hope) so\b"
_CHOICE_WORDS = {"first": 1, "1st": 1, "one": 1, "1": 1, "second": 2, "2nd": 2, "two": 2, "2": 2, "third": 3,
                 "3rd": 3, "three": 3, "3": 3, "last": 3}


def _choice(t: str) -> int | None:
    m = re.search(r"\b(first|second|third|last|1st|2nd|3rd)\b|\boption (one|two|three|1|2|3)\b", t)
    if m:
        return _CHOICE_WORDS[m.group(1) or m.group(2)]
    return None


def negated(core: str) -> bool:
    """Does the reply carry a negation once yes-meaning idioms ("no problem", "why not") are removed?"""
    return _any(NEGATION, re.sub(POSITIVE_IDIOMS, " ", core))


def dtmf_intent(text: str) -> Intent | None:
    """A keypad press ("[keypad 9]") means what the menu says, whatever the classifier would think."""
    m = _DTMF_RE.search(text)
    if m is None:
        return None
    return Intent(text, DTMF_INTENTS.get(m.group(1), "unclear"), dtmf=m.group(1))


def rule_classify(text: str, context: Context = "appointment") -> Intent:
    """Label one patient utterance by keyword rules alone (pure, regexes only)."""
    raw = text
    if (keyed := dtmf_intent(text)) is not None:
        return keyed
    t = normalize(text)
    if _any(BACKCHANNEL_YES, t.strip(" ?")):
        return Intent(raw, "confirm")
    core = _FILLERS.sub("", t).strip(" ?")
    if not core:
        return Intent(raw, "unclear")
    if _any(OPT_OUT, t):
        return Intent(raw, "opt_out")
    if _any(WRONG, t):
        return Intent(raw, "wrong_number")
    if _any(HUMAN, t):
        return Intent(raw, "human")
    if _any(NOT_PATIENT, t) and not _any(r"^(yes|yeah|yep)\b.*\b(this is|i'm) (me|him|her)", t):
        return Intent(raw, "not_patient")
    if _any(KEEP, t) and not negated(re.sub(r"\bno need to (call( me)?( again| back)?|change (it|anything|a thing))\b",
                                            " ", core)):
        return Intent(raw, "confirm")
    if context != "identity" and negated_change(core):
        return Intent(raw, "confirm")
    if context != "identity" and self_corrected_yes(core):
        return Intent(raw, "confirm", choice=_choice(t))
    if _any(CALLBACK, re.sub(r"\bno need to call( me)?( again| back)?\b", " ", t)):
        if context != "identity" and _any(APPOINTMENT_TIME_REF, core) and not _any(r"\b(call|ring|try|reach)\b", core):
            return Intent(raw, "reschedule", negative=True)
        return Intent(raw, "callback_later")
    negated_cancel = _any(_NEG_CANCEL, t)
    if _any(CANCEL, t) and not negated_cancel:
        return Intent(raw, "cancel")
    yeah_no = _any(r"^(yeah|yes|yea) no\b", re.sub(r"\s+", " ", re.sub(POSITIVE_IDIOMS, " ", core)).strip())
    asks = _any(r"^(what|which|when|where|who|how|is|was|are|does|do|can|could)\b", core)
    if context == "slot_choice" and not asks and (_choice(t) or _any(SLOT_NAMED, core) or _any(
            r"\bthe (earlier|later|earliest|latest|morning|afternoon|evening) (one|time|slot)\b", t)):
        return Intent(raw, "confirm", choice=_choice(t))
    if _any(RESCHEDULE, t) and not _any(r"^(no|nope)?\s*(i )?can (still )?make it", core):
        return Intent(raw, "reschedule", choice=_choice(t))
    if _any(r"\b(not sure|don't know|no idea|unsure|maybe|possibly|let me think|hard to say)\b", core) and \
            not _any(QUESTION, core):
        return Intent(raw, "unclear")
    if _any(REPEAT, core):
        return Intent(raw, "unclear")
    if _any(r"^(\w+ )?why not$", core) or _any(r"^(\w+ )?(no problem|no worries|not a problem)$", core):
        return Intent(raw, "confirm")
    if _any(QUESTION, core) or t.endswith("?"):
        return Intent(raw, "question")
    if yeah_no and not _any(r"\b(fine|good|works|problem|worries|that's right|correct)\b", core):
        return Intent(raw, "reschedule" if context != "identity" else "not_patient", negative=True)
    if negated_cancel:
        return Intent(raw, "confirm")
    if yeah_no:   # "yeah no, that's fine": the "no" waves off a worry, it is not an answer
        return Intent(raw, "confirm")
    rest = core.split(" ", 1)[-1]
    leading_no = _any(r"^(no|nope|nah)\b", core)
    if leading_no and _any(CONFIRM, rest) and not negated(rest):   # "no, I can make it"
        return Intent(raw, "confirm", choice=_choice(t))
    confirm_words = _any(CONFIRM, core) or _any(AFFIRM_SO, t) or _any(r"^(no problem|no worries)\b", core)
    if (_any(BARE_NEGATIVE, core) or _any(NEGATIVE_HEDGE, core) or _any(NEGATIVE_HEDGE, t) or leading_no
            or (confirm_words and negated(core))):
        if context == "identity":
            return Intent(raw, "not_patient", negative=True)
        if context == "appointment":
            return Intent(raw, "reschedule", negative=True)
        return Intent(raw, "unclear", negative=True)
    if confirm_words:
        return Intent(raw, "confirm", choice=_choice(t))
    return Intent(raw, "unclear", choice=_choice(t))

