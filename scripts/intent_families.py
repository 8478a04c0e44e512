"""Paraphrase families for the intent head's training set, written from the intent definitions
(tests/agent/data/README.md) and never from either held-out set's misses.

    .venv/bin/python scripts/intent_families.py      # rewrites tests/agent/data/intents_families.jsonl

Each family is one meaning in one context, written in several registers (polite, curt, colloquial, hedged,
with a negation where the meaning allows one). Every phrasing is also emitted in a spoken-ASR form: a filler
in front ("um", "uh", "oh", "well", "er"; not for one-word replies), lower case, no punctuation, chosen
deterministically per phrasing. Rows
carry `family`, so bench/intent_cv.py keeps a family in one fold."""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "agent" / "data" / "intents_families.jsonl"
FILLERS = ("um", "uh", "oh", "well", "er")

# (context, intent, family name): phrasings. Context = what the agent just asked.
FAMILIES: dict[tuple[str, str, str], list[str]] = {
    # ---- identity: "Hi, may I speak with <first name>?" ----------------------------------------------------
    ("identity", "confirm", "plain-yes"): [
        "yes", "yes that's right", "yeah", "yep it is", "yes it's me", "that is me", "yes you are",
        "yes you're speaking to her", "yes indeed", "correct", "yes I am", "yeah I'm here", "uh huh yes"],
    ("identity", "confirm", "speaking"): [
        "speaking", "yes speaking", "this is she speaking", "he speaking", "speaking yes",
        "you're talking to him", "this is him", "that's me yeah", "the one and only"],
    ("identity", "confirm", "name"): [
        "yes this is maria", "maria speaking", "yeah this is james", "hi yes it's linda",
        "yes, Anne here", "this is tom", "it's me, karen"],
    ("identity", "not_patient", "relation-speaking"): [
        "no this is her husband", "I'm his wife", "this is his mother", "it's her son", "I'm her daughter",
        "this is the dad", "I'm his partner", "I'm her sister actually", "no I'm his grandson",
        "this is his father speaking", "I'm her flatmate", "I'm the carer", "his nurse here",
        "it's her neighbour, she left her phone", "I'm her aunt", "this is his girlfriend"],
    ("identity", "not_patient", "absent"): [
        "she's not here right now", "he's out at the moment", "she's at work", "he's asleep",
        "she's in the hospital", "he just left", "she's not home", "he's not available",
        "she can't come to the phone right now", "he's busy, can I take a message", "she's away this week",
        "he's in the bath", "not here sorry", "she popped out", "he's at school"],
    ("identity", "not_patient", "bare-no"): [
        "no", "no it's not", "nope", "no that's not me", "no sorry", "I'm not", "no you don't",
        "no I'm afraid not", "nah", "definitely not me", "no this isn't him"],
    ("identity", "not_patient", "their-phone"): [
        "this is his phone but I'm his brother", "it's her number, I'm her mum", "I answer for my husband",
        "I'm calling on her behalf", "I handle his appointments, I'm his wife", "I'm answering for my dad"],
    ("identity", "wrong_number", "wrong"): [
        "wrong number", "you've dialled the wrong number", "no one called that lives here",
        "I don't know anyone by that name", "there's nobody here called that", "I think you have the wrong person",
        "this isn't their number anymore", "never heard of them", "you must have the wrong number",
        "no such person here", "I got this number recently, they don't live here"],
    ("identity", "question", "who-calling"): [
        "who is calling", "who's this", "who is it", "may I ask who is calling", "what's this about",
        "what is this regarding", "who are you", "what company is this", "why are you calling",
        "who's asking", "where are you calling from", "is this a sales call",
        "what's it concerning", "hello who is this"],
    ("identity", "question", "fishing"): [
        "just tell me the time", "what's the visit about then", "you can tell me, when is it",
        "what time is his appointment", "can you tell me the details", "what day is it for",
        "which doctor is it with"],
    ("identity", "opt_out", "stop"): [
        "stop calling", "don't call here again", "take me off your list", "please remove this number",
        "I don't want any calls", "never call this number again", "stop ringing this phone"],
    ("identity", "callback_later", "later"): [
        "can you call back later", "I'm busy right now, call later", "call back tomorrow",
        "not a good time, try again tonight", "ring back in twenty minutes", "I'm driving, can you call later"],
    ("identity", "human", "person"): [
        "I'd like to talk to a real person", "is there a person I can talk to", "put a human on",
        "connect me to someone at the clinic"],
    ("identity", "unclear", "noise"): [
        "hello", "hello?", "sorry?", "huh", "what was that", "I can't hear you very well",
        "you're breaking up", "one moment", "hold on", "pardon", "say again"],
    # ---- appointment: "Will you be able to make it?" --------------------------------------------------------
    ("appointment", "confirm", "will-come"): [
        "yes I will", "yes I'll be there", "I'll be there", "I'll make it", "yes I can make it", "yeah I'm coming",
        "I'll come", "I plan on coming", "I'm going to be there", "I will be there yes", "yep I'll attend",
        "we'll be there", "I'm still coming", "I can come", "I should be able to make it"],
    ("appointment", "confirm", "agree"): [
        "sure", "okay", "yes", "yeah sure", "sounds good", "that's fine", "that works", "perfect",
        "great thanks", "fine", "all good", "no problem", "no worries I'll be there", "alright", "ok cool",
        "yes that's fine", "good", "great", "lovely", "brilliant", "that'll work", "yep", "mhm", "yes ma'am",
        "yes sir", "absolutely", "definitely", "certainly", "of course", "you got it", "works for me",
        "totally", "for sure", "yes please confirm", "I confirm"],
    ("appointment", "confirm", "keep"): [
        "I'd like to keep it", "keep it please", "keep the appointment", "leave it as it is", "don't change anything",
        "I want to keep my appointment", "keep me down for that", "put me down as coming", "mark it confirmed",
        "go ahead and confirm it", "please confirm it", "book me in as attending", "I'm not cancelling, I'll come",
        "nothing's changed I'll be there", "no need to change it", "it's still on for me"],
    ("appointment", "confirm", "informal"): [
        "yeah yeah I'll be there", "yup see you then", "see you there", "I'll be there no worries",
        "wouldn't miss it", "count on me", "I'll show up", "I'll be in", "yeah I'll pop in", "I'll turn up"],
    ("appointment", "reschedule", "cannot"): [
        "no", "no I can't", "I can't make it", "I won't be able to come", "I can't do that day", "no I won't make it",
        "that doesn't work", "not really", "no that's no good", "I can't come then", "unfortunately not",
        "I'm not able to", "that's not going to work", "I'm afraid I can't", "nope", "no can do",
        "I don't think I can", "probably not", "that's a bad day for me", "I'll be away then"],
    ("appointment", "reschedule", "move"): [
        "can I reschedule", "I need to reschedule", "I want to change the time", "could we move it",
        "can we do another day", "is there a later time", "can I come earlier", "I'd like a different day",
        "move it to next week please", "can we push it to the afternoon", "is friday possible instead",
        "do you have something on tuesday", "can I get a morning slot instead", "I'd rather come next week",
        "let's pick another time", "can we make it later in the day", "anything after four",
        "change it to another date", "what else do you have", "is there anything next month",
        "swap it to a different time", "I need a new time", "can we bump it a few days",
        "I have a conflict that day", "I've got work, can we change it", "something came up, new time please"],
    ("appointment", "cancel", "cancel"): [
        "cancel", "cancel it", "please cancel", "I need to cancel", "I'd like to cancel my appointment",
        "can you cancel that", "go ahead and cancel", "cancel it please I don't need it", "I won't need it anymore",
        "I don't need the appointment", "I'm not coming, cancel it", "remove the booking",
        "I've moved away, cancel it", "I got seen elsewhere", "I'm better now, no need for the visit",
        "delete the appointment", "drop the appointment", "scrap that appointment", "just cancel thanks",
        "I don't want the appointment anymore", "cancel it, I'll call when I need one",
        "I'm switching to a different clinic so cancel", "the appointment isn't needed anymore"],
    ("appointment", "callback_later", "later"): [
        "can you call me back later", "call me later", "I'm busy call back", "call me tomorrow",
        "can you call back this afternoon", "now's not good, try tomorrow morning", "I'm driving right now",
        "I'm at work, call me after five", "I'll need to check, call me back", "ring me back in an hour",
        "I can't talk right now", "give me a call later", "I'm in the middle of something",
        "try me again tonight", "could you call back on monday", "call me in ten minutes",
        "let me check my schedule and you can call me back", "I'm with a customer, call later"],
    ("appointment", "not_patient", "relation"): [
        "I'm her husband, she's out", "this is his wife, he's at work", "I'm his mother, I'll pass it on",
        "she's not here, I'm her roommate", "I'm the patient's daughter", "I'm just his brother",
        "he isn't here, this is his dad", "I'm her carer"],
    ("appointment", "wrong_number", "wrong"): [
        "wrong number", "you have the wrong number", "I don't know who that is", "nobody by that name here",
        "you've got the wrong person", "I'm not that person", "I've never been to that clinic, wrong number",
        "this isn't the right number", "you must have dialled wrong"],
    ("appointment", "opt_out", "stop"): [
        "stop calling me", "don't call me again", "take me off your list", "remove my number",
        "I don't want these calls", "stop calling this number", "please stop calling", "no more calls",
        "don't ever call me again", "put me on the do not call list", "I want to opt out",
        "quit calling me", "stop these automated calls", "don't contact me again", "lose my number",
        "unsubscribe", "I'm sick of these calls, stop", "never call me again"],
    ("appointment", "question", "info"): [
        "what time is it", "when is it again", "what day is that", "where is the office", "what's the address",
        "is there parking", "where do I park", "what should I bring", "do I need my insurance card",
        "how long will it take", "who is the doctor", "which location is it", "do I need to fast",
        "should I arrive early", "how much does it cost", "do you take medicare", "is it in person",
        "what is the appointment for", "can I bring my husband", "is it a video visit", "what floor",
        "do I need a referral", "how early should I come", "is the office accessible", "can you remind me the time",
        "what was the date", "which doctor am I seeing", "what's the phone number of the clinic"],
    ("appointment", "human", "person"): [
        "can I speak to someone", "I want to talk to a person", "let me speak to the receptionist",
        "transfer me please", "put me through to the office", "I need to speak with the front desk",
        "can I talk to a real human", "connect me with the nurse", "I'd prefer to talk to a person",
        "is there someone I can speak to", "get me the office please", "can you transfer me to the clinic",
        "are you a robot? I want a person", "I need a human", "speak to staff please"],
    ("appointment", "unclear", "unclear"): [
        "I'm not sure", "maybe", "I don't know", "possibly", "hmm", "um", "let me think", "what", "sorry",
        "say that again", "huh", "what did you say", "could you repeat that", "I didn't catch that",
        "the line is bad", "hang on", "one second", "I'm thinking", "it depends", "perhaps",
        "I might", "not sure yet", "hard to say", "no idea", "eh", "well", "I guess maybe",
        "the dog is barking", "sorry I'm eating"],
    # ---- yes_no: any other yes/no question ----------------------------------------------------------------
    ("yes_no", "confirm", "yes"): [
        "yes", "yeah", "sure", "okay", "please do", "go ahead", "yes please", "that would be great",
        "sounds good", "yep", "alright", "correct", "that's right", "mhm", "uh huh", "of course", "fine",
        "yeah that'd help", "sure thing go ahead", "yes do that", "definitely"],
    ("yes_no", "unclear", "no"): [
        "no", "no thanks", "no thank you", "nope", "nah", "not really", "no that's it", "no I'm fine",
        "no that's all", "no need", "I'm good thanks", "that's everything", "no I don't think so",
        "not right now", "nothing else", "I don't need that"],
    ("yes_no", "unclear", "unsure"): [
        "I'm not sure", "maybe", "what", "sorry?", "hmm", "let me think", "I don't know"],
    ("yes_no", "question", "question"): [
        "what does that mean", "how does that work", "what's the address", "when would that be",
        "is there a charge for that"],
    ("yes_no", "human", "person"): [
        "I'd rather talk to a person", "connect me to the front desk", "can I speak to someone"],
    ("yes_no", "opt_out", "stop"): [
        "no, stop calling me", "take me off the list", "don't call again"],
    ("yes_no", "callback_later", "later"): [
        "call me back later", "I'm busy, call tomorrow", "can we talk later"],
    ("yes_no", "reschedule", "move"): [
        "actually can we change the time", "I'd like to reschedule instead"],
    ("yes_no", "cancel", "cancel"): [
        "actually please cancel it", "no, I want to cancel"],
    # ---- slot_choice: times on offer -------------------------------------------------------------------------
    ("slot_choice", "confirm", "pick"): [
        "the first one", "first one please", "the second one", "second", "I'll take the third",
        "the last one", "option two", "number one", "the morning one", "the afternoon one",
        "the earlier one", "the later one", "tuesday please", "thursday at 2", "the one on monday",
        "ten o'clock works", "the 9:30", "the friday one", "I'll take the first", "the second sounds good",
        "let's go with the last", "the 3 pm", "monday is good", "the wednesday slot", "first"],
    ("slot_choice", "reschedule", "none"): [
        "none of those", "neither", "none of them work", "no", "those don't work", "nothing later",
        "do you have anything else", "what about next week", "anything in the morning", "something later",
        "no none of those", "can I see other times", "is there anything on saturday", "I need an evening",
        "those are all bad for me", "any other days"],
    ("slot_choice", "question", "q"): [
        "which doctor is that", "where is that one", "what was the second time", "is that in the morning"],
    ("slot_choice", "cancel", "cancel"): [
        "just cancel instead", "never mind, cancel it"],
    ("slot_choice", "callback_later", "later"): [
        "I'll have to check, call me back", "call me later about it"],
    ("slot_choice", "human", "person"): [
        "let me talk to the front desk", "I'd rather speak to a person about times"],
    ("slot_choice", "opt_out", "stop"): ["stop calling me"],
    ("slot_choice", "unclear", "unclear"): [
        "hmm", "let me think", "what were they again", "sorry what", "I don't know"],
}


# Second batch (intents3): written from the label definitions in tests/agent/data/README.md, aimed at what the
# first batch lacks: long-winded replies, hedged answers, negated verbs ("I'm not cancelling"), ASR slips
# (missing apostrophes, homophones, run-on words), and informal registers. Never from a held-out reply.
FAMILIES_2: dict[tuple[str, str, str], list[str]] = {
    # ---- identity ----------------------------------------------------------------------------------------
    ("identity", "confirm", "long-yes"): [
        "yes hello this is her how can I help", "yeah that's me what can I do for you",
        "yes I'm the one you're looking for", "yep you've reached him", "that would be me yes",
        "yes this is the right person", "yeah its me", "yes thats me",
        "yeah you found me", "yes I'm here", "yes, that's my name"],
    ("identity", "not_patient", "relation-long"): [
        "oh no I'm not her I'm her daughter she's at the shops", "this is his wife speaking he's in the garden",
        "no sorry this is her son, mum's having a nap", "I'm actually his carer, he doesn't use the phone",
        "it's his dad, he's only twelve", "nope it's her roommate, she moved her stuff out",
        "this is her partner, she gave me the phone", "I'm his personal assistant", "I'm the babysitter",
        "you're speaking to her husband", "I'm just a friend of hers", "this is the care home reception",
        "I look after him, I'm his niece", "its his brother here", "no its her mum"],
    ("identity", "not_patient", "absent-long"): [
        "she stepped out for a bit", "sorry he's at his mother's today",
        "she's travelling for work this week", "he's still at school", "she's in the shower",
        "he's gone out, I don't know when he'll be back", "she isn't in", "not home right now",
        "he passed the phone to me, he can't talk", "she's unwell and can't come to the phone"],
    ("identity", "not_patient", "no-long"): [
        "no that's not me", "no you've got someone else", "I'm not her",
        "no, I'm someone else", "no I'm afraid it isn't", "that's not me sorry"],
    ("identity", "question", "who-long"): [
        "sorry who did you say you were", "what's this call in regards to",
        "before I answer who is this", "can I ask what it's about first", "what's it for",
        "why do you want her", "is this the clinic", "which office are you calling from",
        "what do you need him for", "what's the reason for the call", "is this about a bill"],
    ("identity", "question", "fishing-long"): [
        "can you give me the appointment details",
        "I can pass on the time if you tell me", "what's the date of her appointment",
        "which doctor is she seeing", "when is he booked in for", "tell me what it's about and I'll let her know"],
    ("identity", "wrong_number", "wrong-long"): [
        "there's no one here by that name", "I think you've got the wrong number love",
        "sorry you've dialled a wrong number", "I don't know anybody called that", "nobody here is called that",
        "I just got this number, it must have been theirs before", "this is a business line, wrong number",
        "you have the wrong house", "no one with that name lives here"],
    ("identity", "opt_out", "stop-long"): [
        "please don't call this number anymore", "I've asked you before, stop calling here",
        "take this number off your system", "stop ringing me", "do not call this phone again"],
    ("identity", "callback_later", "later-long"): [
        "she'll be home later can you call back then", "this isn't a good time call back in an hour",
        "I'm in a meeting, call later", "could you ring back this evening", "can you try again tomorrow"],
    ("identity", "unclear", "noise-long"): [
        "hello is anyone there", "sorry the line's really bad", "wait what", "I can barely hear you",
        "give me a second", "hang on let me turn the tv down", "you cut out there"],
    # ---- appointment -------------------------------------------------------------------------------------
    ("appointment", "confirm", "long-yes"): [
        "yes I'll be there, I've got it in my calendar", "yeah I was planning to come anyway",
        "oh yes I remember, I'll be there", "yes thank you for reminding me, I'll come",
        "yes I'm still planning on it", "yep that's still fine with me", "no changes, I'll be there",
        "I'll definitely be there", "it's in my diary, I'll come",
        "yes we're all set", "yeah that's all good see you then", "sure I can make that",
        "yeah ill be there", "ya i'll be their", "yes im coming", "that time's fine with me",
        "yes, put me down as coming", "I'll attend yes", "sure, I'll come in"],
    ("appointment", "confirm", "negated-cancel"): [
        "I'm not cancelling", "no I don't want to cancel, I'll be there", "I don't need to reschedule",
        "no need to move it", "I'm not changing it", "don't cancel it, I'm coming",
        "no I'm not going to miss it", "I won't miss it", "I'm not going to reschedule, it's fine",
        "nothing needs changing", "no, keep it as it is"],
    ("appointment", "confirm", "hedged-yes"): [
        "I think so yes", "I believe so", "as far as I know yes", "yes as long as nothing comes up",
        "yeah I reckon I can", "probably yes", "yes I should be able to", "I'm pretty sure I can"],
    ("appointment", "reschedule", "cannot-long"): [
        "I'm really sorry but I can't make that day", "unfortunately I have to work that day",
        "I won't be able to come then, I'm away", "that time doesn't suit me", "that's no good for me",
        "I've got something else on then", "I'll be out of the country", "I can't get time off work",
        "no I have a hospital appointment that day", "I've double booked myself",
        "i cant come that day", "that won't work for me", "no sorry I'm busy that day",
        "I'm not going to be able to make it", "I have to pick up the kids then"],
    ("appointment", "reschedule", "move-long"): [
        "could we find another time", "is there any chance of a different day", "I'd need it moved",
        "can you book me in for a different time", "could it be a bit later in the day",
        "is there an earlier appointment", "I'd like to come in the morning instead",
        "can I change it to the week after", "can we do the same time next week", "can you move me",
        "is there something closer to lunchtime", "do you have a saturday", "resschedule please",
        "i need to re schedule"],
    ("appointment", "cancel", "cancel-long"): [
        "I want to cancel, I don't need it anymore", "I'm feeling better so I won't need the appointment",
        "I've already seen another doctor",
        "I'm not going to come at all", "we're moving away so please cancel", "cancel please I'm sorted",
        "the problem went away so I don't need to come", "you can cancel that one", "cancel my booking",
        "i want to cancle", "can you cancel the visit", "I'd rather just cancel it altogether"],
    ("appointment", "callback_later", "later-long"): [
        "I'm just about to go into a meeting can you call back", "now isn't great, could you call later",
        "I'm on the other line, call me back", "can you phone back after lunch", "I'm at the doctor's, call later",
        "I need to check with my work first, call me tomorrow", "call back in half an hour",
        "I'm cooking, can you ring later", "I'm not free to talk, try this evening", "call me back please"],
    ("appointment", "not_patient", "relation-long"): [
        "this is her mum, she's at school", "I'm his partner, he's not here",
        "it's his phone but I'm his wife, he's out", "I'm not him, I'm his son", "she's not here, I'm her sister"],
    ("appointment", "wrong_number", "wrong-long"): [
        "I don't know who you're looking for", "you've got the wrong person, I'm not a patient there",
        "I've never been a patient at that clinic", "there's nobody here with that name", "wrong number mate"],
    ("appointment", "opt_out", "stop-long"): [
        "please stop calling me, I've told you", "I don't want any more of these calls", "take me off the calling list",
        "don't phone me again", "stop calling, I'll call you if I need to", "remove me from your list please",
        "I don't want to be contacted again", "quit ringing me"],
    ("appointment", "question", "info-long"): [
        "remind me what time it was", "sorry what day was that again", "where exactly is the clinic",
        "is it the same place as last time", "how long will I be there",
        "do I have to fill in forms", "will it be the same doctor", "is there a car park",
        "what's it for again", "is that am or pm", "which building is it in",
        "will I need to take my shoes off", "is it covered by my insurance", "do I need to not eat before"],
    ("appointment", "human", "person-long"): [
        "I'd rather speak to someone at reception", "can you put me through to a real person",
        "is there a human I can talk to", "I want to talk to the office directly", "get me someone from the clinic",
        "I need to speak to my doctor's secretary", "could I speak to a nurse", "let me talk to a live person"],
    ("appointment", "unclear", "unclear-long"): [
        "I'm not really sure yet", "I don't know, I'll have to see", "maybe, I'm not sure",
        "it's hard to say right now", "sorry I didn't hear you", "could you say that again please",
        "what was that", "sorry the signal is bad", "um let me see",
        "I'll have to think about it", "ehh", "what did you just say"],
    # ---- yes_no --------------------------------------------------------------------------------------------
    ("yes_no", "confirm", "yes-long"): [
        "yes that would be helpful", "yes please do that", "ok yes", "yeah why not",
        "that'd be great thanks", "yes I'd like that", "sure that's fine", "yeah go on then", "please yes"],
    ("yes_no", "unclear", "no-long"): [
        "no I'm alright thanks", "no that's all thank you", "no need thanks", "nah I'm okay",
        "no thanks I'm fine", "I don't think so no", "no not at the moment",
        "nothing else thanks", "no, that's ok"],
    ("yes_no", "question", "q-long"): [
        "how long would that take", "would that cost anything",
        "what do you mean by that", "who would I be talking to"],
    ("yes_no", "opt_out", "stop-long"): [
        "please don't call me again"],
    # ---- slot_choice ---------------------------------------------------------------------------------------
    ("slot_choice", "confirm", "pick-long"): [
        "I'll go with the first one please", "the second one works for me", "let's do the last one",
        "the morning one would be best", "I'll take the thursday", "the two o'clock please",
        "the earlier one suits me", "can I have the first one", "the one on friday please",
        "the third option", "the monday morning one", "put me in the second one",
        "that first time is good", "I'll have the last one"],
    ("slot_choice", "reschedule", "none-long"): [
        "none of those work for me", "I can't do any of those", "do you have anything the week after",
        "those are all too early", "is there anything later", "none of them sorry",
        "I can't make those, anything else", "do you have any evening times", "nothing in the morning?",
        "neither of those works", "they're all no good"],
    ("slot_choice", "question", "q-long"): [
        "which doctor is the second one with", "is the first one in the morning",
        "how long is the appointment"],
    ("slot_choice", "unclear", "unclear-long"): [
        "hmm let me check", "what were the times again", "sorry can you repeat them", "I'm not sure which",
        "hold on let me look", "what were they"],
    # ---- more, where CV on the batch above was weakest (cancel, unclear, question) ----------------------------
    ("appointment", "cancel", "no-longer"): [
        "I don't need to come in anymore", "I won't be coming, please cancel", "the appointment can be cancelled",
        "I've decided not to go ahead with it", "I'm going to give it a miss, cancel it", "count me out, cancel it",
        "I've sorted it out myself so cancel please", "I'm dropping the appointment", "we can cancel that",
        "I'd like to call the whole thing off", "I'm not going ahead with the visit", "forget the appointment"],
    ("appointment", "unclear", "off-topic"): [
        "sorry I was talking to someone else", "oh hang on the doorbell", "my battery is about to die",
        "can you speak up", "I'm outside it's really windy", "sorry say it slower", "one minute please",
        "sorry, the kids are shouting", "I was on mute", "I'm not sure what you mean"],
    ("appointment", "question", "practical"): [
        "what time do I need to get there", "do I have to check in at the front", "is the clinic upstairs",
        "will the doctor have my results", "how do I get there by bus", "is there wheelchair access",
        "do you have my new address", "can my daughter come in with me",
        "should I bring my medication list", "is it a blood test", "is the appointment over the phone"],
    ("appointment", "callback_later", "later-2"): [
        "I'm just walking into work, call me later", "can you call back when I'm home", "not now, later",
        "I'm on the bus can you ring back", "call me again in the afternoon"],
    ("appointment", "reschedule", "cannot-2"): [
        "I've got to work so I can't", "that clashes with something", "I'm booked that day",
        "I need a different appointment", "can we sort out another date", "I'm on holiday that week",
        "my car's in the garage so I can't get there that day", "I can't, I'm looking after my grandson then"],
    ("yes_no", "unclear", "no-2"): [
        "no I'm all set", "no that should be it", "no you've covered everything",
        "no I think that's it", "not for now"],
    ("yes_no", "confirm", "yes-2"): [
        "yes I would", "yeah that's fine", "ok then", "sure, do that", "yes go ahead please", "that would be nice"],
    ("identity", "confirm", "yes-2"): [
        "yes it's me", "this is me", "yes that's right it's me", "yeah speaking",
        "you're talking to her"],
    ("identity", "question", "who-2"): [
        "who am I speaking to", "and you are", "what's this about please", "what do you want with him",
        "is this a scam"],
    ("slot_choice", "confirm", "pick-2"): [
        "I'll take that first one", "second one please", "the last time you said", "the nine o'clock",
        "the tuesday one works", "go with the earliest", "I'll have the afternoon one"],
    ("slot_choice", "reschedule", "none-2"): [
        "none of those are any good", "I need something in the evening", "anything the following week",
        "can you look at other days", "no, those don't suit me"],
}


def asr_variant(text: str) -> str:
    """A spoken-ASR form: lower case, no punctuation, a filler in front (picked by a hash of the text)."""
    plain = re.sub(r"[^a-z0-9' ]+", " ", text.lower())
    plain = re.sub(r"\s+", " ", plain).strip()
    filler = FILLERS[zlib.crc32(text.encode()) % len(FILLERS)]
    return f"{filler} {plain}"


def rows() -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for (context, intent, family), texts in [*FAMILIES.items(), *FAMILIES_2.items()]:
        for i, text in enumerate(texts):
            fam = f"{context}/{intent}/{family}/{i}"
            out.append({"text": text, "intent": intent, "context": context, "family": fam})
            if len(text.split()) > 1:   # "um hmm" or "oh no" would change a one-word reply's meaning
                out.append({"text": asr_variant(text), "intent": intent, "context": context, "family": fam})
    return out


def main() -> None:
    data = rows()
    OUT.write_text("".join(json.dumps(r) + "\n" for r in data), encoding="utf-8")
    print(json.dumps({"rows": len(data), "file": str(OUT)}))


if __name__ == "__main__":
    main()
