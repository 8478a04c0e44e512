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
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "agent" / "data" / "intents_families.jsonl"
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


# Third batch (intents4): written from the label definitions in tests/agent/data/README.md by imagining the
# speakers the first two batches under-represent: elderly and hard-of-hearing patients, non-native speakers
# (simple or slightly ungrammatical English), teenagers, busy parents with noise around them, rambling talkers
# whose answer sits mid-sentence, self-corrections ("no wait, yes I can"), hedges, answers wrapped in a question
# ("can't I just keep it?"), British/Irish/Australian/Indian/US idiom, ASR slips (homophones, dropped words,
# run-ons), and replies that mention something else first. Never from a held-out reply.
FAMILIES_3: dict[tuple[str, str, str], list[str]] = {
    # ---- identity ----------------------------------------------------------------------------------------
    ("identity", "confirm", "elder-yes"): [
        "yes dear that's me", "yes love, speaking", "yes this is she, I'm a bit deaf so speak up",
        "that's me, yes, I'm here", "yes yes it's me",
        "speaking, yes, I'm ninety one you know", "it's me alright", "you've got me, love",
        "yes, I'm the lady you want"],
    ("identity", "confirm", "nonnative-yes"): [
        "yes is me", "yes, I am", "yes I am this person", "yes I am she", "yes, is me speaking", "me, yes",
        "yes yes I am him", "yes correct is me", "I am, yes", "yes this me", "yes sir I am him",
        "yes madam it is me only"],
    ("identity", "confirm", "teen-yes"): [
        "yeah that's me", "ya it's me", "yeah speaking, what's up", "yup that's me", "yeah it's me lol",
        "mhm that's me", "yeah yeah it's me", "uh yeah that's me"],
    ("identity", "confirm", "self-correct"): [
        "sorry, I mean yes, it's me", "hang on, yes, that's me",
        "oh sorry yes that's me, I thought you said someone else", "wait, yes, speaking",
        "pardon, oh yes it's me"],
    ("identity", "confirm", "regional-yes"): [
        "aye that's me", "it is yeah", "yeah that's me mate", "yes that's myself", "sure that's me",
        "you're speaking to him now", "yes, myself", "that's yours truly", "yeah you've got her"],
    ("identity", "confirm", "asr-yes"): [
        "yes it's mean", "yeah thats me", "yes speak in", "yes this is he", "yes dis is me", "yes that's meat"],
    ("identity", "not_patient", "elder-carer"): [
        "I'm the one who looks after her, she doesn't hear well", "no, I'm his wife, he's very deaf",
        "she's in the nursing home, I'm her daughter", "he doesn't answer the phone anymore, I'm his son",
        "this is the home help", "I'm from the care agency, she's resting",
        "I'm her next of kin", "she has dementia, I'm her daughter and I deal with her calls",
        "I'm the district nurse visiting her", "it's her carer, she's having her lunch"],
    ("identity", "not_patient", "nonnative-relative"): [
        "no, he is my husband, he not here", "she is my mother, she sleep now", "I am his wife",
        "no no, I am the son", "he is working, I am wife", "she not at home", "this is her daughter speaking",
        "he go out, I am his brother", "no, is not him, is his father", "my husband is not here now",
        "my mother, she don't speak English, I am the daughter", "no sir, I am her husband"],
    ("identity", "not_patient", "parent-of-child"): [
        "she's seven, I'm her mum", "he's my son, he's at school", "that's my little boy, I'm his dad",
        "she's only a baby, this is her mother", "I'm the parent", "he's a minor, you're speaking to his father",
        "I'm her mum, I book her appointments", "that's my daughter, she's at school"],
    ("identity", "not_patient", "unavailable"): [
        "he's not available", "she's unavailable at the moment", "he's not around", "she's busy with the baby",
        "he's at the pub", "she's at church", "he's gone fishing", "she's upstairs asleep",
        "he's having a lie down", "she's on holiday", "he's in the hospital at the minute", "she's out the back",
        "he's just popped to the shop", "she's not in today", "he's on a night shift, sleeping",
        "she's gone to her sister's"],
    ("identity", "not_patient", "fetching"): [
        "hold on I'll get her", "wait I'll get him for you", "one sec, I'll fetch my mum",
        "let me get her, she's in the kitchen", "I'll just grab him", "hang on I'll pass you to her",
        "he's here, let me get him to the phone", "she's just coming, I'm her husband"],
    ("identity", "not_patient", "other-person"): [
        "no this is linda", "no it's her sister", "I'm not maria, I'm her mum", "no, you're speaking with her husband",
        "nope, it's his flatmate", "no I'm the other one, the wife", "it's not me, it's my brother you want",
        "no, that's my dad, I'm the son", "not me, you want my wife", "that's my husband's name, not mine"],
    ("identity", "not_patient", "rambling"): [
        "oh well she's not here, she went to her daughter's and I don't know when she'll be back, I'm her husband",
        "well I'm his wife and he's out at the moment, he's always out to be honest",
        "um no it's her mum here, she's at uni now, she left her phone with us",
        "no love, I'm the neighbour, I'm just minding the house while they're away",
        "his phone rang so I picked it up, I'm his mate, he's in the loo"],
    ("identity", "not_patient", "bare-no-3"): [
        "no it isn't", "no, not me", "no, wrong one, I'm not her", "no that's not who I am",
        "no, sorry, that isn't me", "no I'm not that person", "no, I am not this person"],
    ("identity", "question", "elder-who"): [
        "who did you say? I'm hard of hearing", "who's that calling?", "what? who is it?",
        "who is this please, speak louder", "is that the surgery?", "is this the doctor's?",
        "are you from the hospital?", "is this about my tablets?", "who's calling, is it the bank?",
        "who wants to know?"],
    ("identity", "question", "nonnative-who"): [
        "who is speaking please", "from where you are calling", "what is this call for", "you are who?",
        "which company you are", "what you want from her", "why you calling", "who is calling me please"],
    ("identity", "question", "fishing-3"): [
        "can you leave the details with me", "I'll give her the message, what is it",
        "is it about her test results", "which clinic is it then", "what time does she need to be there"],
    ("identity", "wrong_number", "wrong-3"): [
        "no one of that name here, sorry", "I don't know this person", "you got wrong number",
        "no, nobody named like that", "I've had this number two months, don't know them",
        "this is a new phone, I don't know who that is", "nope no one called that in this house",
        "you've got the wrong phone, mate", "I'm not who you think I am, you've got the wrong number",
        "there's no maria here, you've got the wrong number", "wrong person sorry, I think it's a mistake",
        "I don't know who that is, this is my mobile"],
    ("identity", "opt_out", "stop-3"): [
        "don't ring here no more", "please no more calling this house", "I told you already, stop phoning me",
        "we don't want calls, take us off", "you're always ringing, stop it", "stop calling my mum",
        "don't call her again, take her off your list", "no more calls to this number please"],
    ("identity", "callback_later", "later-3"): [
        "can you ring back later, I'm feeding the baby", "he'll be back at six, ring then",
        "try again after lunch, I'm busy", "call back in the evening when she's home", "now's not good, ring later",
        "I'm in the car, phone me later", "could you call back tomorrow, it's a bad time", "later please, I'm busy"],
    ("identity", "human", "person-3"): [
        "can I talk to someone real", "I don't talk to machines, get me a person", "put me on to the receptionist",
        "is there a real person there"],
    ("identity", "unclear", "noise-3"): [
        "eh?", "what's that?", "hello? hello?", "speak up, I can't hear", "sorry the baby's screaming",
        "wait, the tv's too loud", "hello, who? sorry", "what you say", "come again?", "sorry, you're very quiet",
        "what? the line's terrible"],
    # ---- appointment -------------------------------------------------------------------------------------
    ("appointment", "confirm", "elder-yes"): [
        "oh yes dear, I'll be there", "yes, my son will drive me", "yes, I'll come, I've written it down",
        "yes, I'll be there if the bus is on time", "yes love, I'll be there", "oh yes, I never miss them",
        "yes, my daughter's bringing me", "yes I'll be in, I've got it on the calendar in the kitchen",
        "I'll be there, don't you worry", "yes, I'll get a taxi there"],
    ("appointment", "confirm", "nonnative-yes"): [
        "yes I come", "yes I will come that day", "I am coming, yes", "ok I come", "yes, no problem, I come",
        "yes I will be there that time", "I come for sure", "yes yes I coming", "ok fine I will attend",
        "yes I will reach on time", "sure, I am coming", "yes I can come for appointment"],
    ("appointment", "confirm", "teen-yes"): [
        "yeah ok", "yeah I'll be there", "sure whatever, I'll come", "yep coming", "yeah I'll go",
        "k yeah", "ya ok", "yeah fine I'll be there", "mhm I'll be there"],
    ("appointment", "confirm", "hedged-3"): [
        "I think so, probably", "yes I should think so", "I think I can, yeah", "should be fine",
        "I expect so", "yeah most likely", "I'd say yes", "all being well, yes", "god willing, yes",
        "fingers crossed, yes", "yeah I'll try to be there, I should make it", "I'm fairly sure I can make it"],
    ("appointment", "confirm", "self-correct"): [
        "no wait, yes I can", "no, hang on, yes that's fine", "I can't, oh no wait, that's Tuesday, yes I can",
        "actually yes, I'll be there", "um no, I mean yes, I'll come", "oh, let me think, yes that's fine",
        "no sorry I was thinking of something else, yes I'll be there", "wait is that the 5th? yes that's fine"],
    ("appointment", "confirm", "wrapped-question"): [
        "can't I just keep it?", "could I just keep it as it is?", "why would I change it? I'll be there",
        "is it okay if I just come as planned?", "can you leave it booked?", "can we keep it the way it is?",
        "I'll be there, is that all?", "can you keep me booked in?"],
    ("appointment", "confirm", "buried-yes"): [
        "oh I was just going to ring you about that actually, but yes, I'll be there",
        "well the kids are off school that week but my mum can have them so yes I can come",
        "sorry I'm at the shops, um, yes, that's fine, I'll be there",
        "the dog's going mad, sorry, yes I'll be there", "my husband was asking about that, yes we'll be there",
        "I had it in the diary for the wrong day but yes that's fine, I'll come",
        "I've got a lot on that week, but I can make that, yes",
        "traffic permitting, yes I'll be there", "sorry I'm just driving, yeah that's fine, I'll come"],
    ("appointment", "confirm", "regional-yes"): [
        "grand, I'll be there", "no bother, I'll be in", "that's grand", "righto, see you then",
        "too easy, I'll be there", "sure look, I'll be there",
        "cheers, I'll be there", "will do", "I'll be there for sure", "yes I'll be coming only",
        "that suits me fine", "bang on, I'll be there", "you betcha", "ok so I'll see you then"],
    ("appointment", "confirm", "asr-yes"): [
        "yes ill be they're", "yeah I'll be there at that time", "yes I can make et", "sure I'll be they're",
        "yeah I can come in then", "yes that's find", "that work for me", "yes I will be the", "yep I'll be dare"],
    ("appointment", "reschedule", "elder-cannot"): [
        "oh I can't, I've no one to drive me that day", "no dear, that's my hospital day",
        "I can't get there that early, the buses don't run", "my daughter can't bring me then",
        "no I can't, I've got the chiropodist", "not that day, I have the grandkids",
        "I don't go out in the dark, can it be earlier", "no, that's no good, I'll be at my sister's"],
    ("appointment", "reschedule", "nonnative-cannot"): [
        "no I cannot come that day", "that day I am working, other day please", "I am not free that time",
        "no possible that day", "I cannot, please change", "I want other date", "please give another time",
        "that day not ok for me", "I am out of station that day", "please can you change the date",
        "this date I am busy, give some other date", "no that time I am in office"],
    ("appointment", "reschedule", "parent-cannot"): [
        "I've got school pickup then, can we do later", "the kids are off sick, can we move it",
        "I can't, I've no childcare that day", "that's nursery drop off, anything after ten",
        "no I've got the school run", "can we do it when the kids are at school",
        "I'll have the baby with me, could we do another day"],
    ("appointment", "reschedule", "wrapped-question"): [
        "could I not come a bit later?", "is there no way to do it the next day?", "can't we make it the friday?",
        "any chance of the week after?", "would the afternoon be possible instead?",
        "is there nothing on a weekend?", "could I come in a bit earlier maybe?",
        "how about the following tuesday?", "what about the same time next week?", "could we make it a monday?"],
    ("appointment", "reschedule", "buried-cannot"): [
        "well I was going to say, the thing is I'm away that week so I'd need another time",
        "I'd love to but I've got a wedding that day, can we find another",
        "the problem is my shift changed and I'm on days now so that won't do",
        "sorry I'm in the car, but no, I can't do that one, another day please",
        "oh the baby's crying, sorry, no I can't make that, is there another time",
        "I've just started a new job so I can't really get off then"],
    ("appointment", "reschedule", "hedged-no"): [
        "I don't think I'll make it", "probably not, no", "I doubt it", "unlikely, to be honest",
        "I'm not sure I can, could we move it", "I'd struggle with that day", "maybe not that day",
        "I really don't think so", "not likely"],
    ("appointment", "reschedule", "self-correct"): [
        "yes, oh wait no, I'm away then", "yeah that's, no actually I've got work, sorry",
        "sure, oh hang on, no I can't that day", "I can, no sorry, I can't, can we change it",
        "yes I'll, oh no that's the day of the funeral, can we move it"],
    ("appointment", "reschedule", "regional"): [
        "I can't do that one, I'm at work", "no can't make that mate", "that's no use to me",
        "I'm not able for that day", "that doesn't suit, sorry", "I can't swing that",
        "I'll be out of station", "that's a no go for me", "can we prepone it", "I'm flat out that day"],
    ("appointment", "reschedule", "asr"): [
        "can we re schedule", "I can't make it that day can we do a nother", "I need to chain the time",
        "can I reshedule", "can we make it an other day", "I cant do that time",
        "is they're a later time", "I'm not able to make it then can we move it"],
    ("appointment", "cancel", "cancel-3"): [
        "I don't need it no more", "no, I want to cancel it, I am better",
        "please cancel, I am going back to my country",
        "cancel it love, I've had it done privately", "my husband passed, I won't be needing it",
        "I've had the operation elsewhere so cancel", "we've moved to a different practice, so cancel please",
        "don't bother with it, I won't come", "forget it, I'm not coming", "no I won't be coming at all",
        "cancel that for me please", "just knock it on the head",
        "I'm not bothering with it now", "I'd like it cancelled", "cancel, cancel", "cancell it",
        "can you cancel", "I want to cancel, not move it", "I'll ring when I need another, cancel this one"],
    ("appointment", "cancel", "wrapped-question"): [
        "can I just cancel it?", "is it okay if I cancel?", "could you cancel it for me?",
        "do I have to come? I'd rather cancel", "can we just call it off?"],
    ("appointment", "callback_later", "later-3"): [
        "sorry I'm in the middle of bath time, can you call me back", "I'm at the school gate, ring me later",
        "the baby's crying, call back in an hour", "I'm at work, I can't talk, call me this evening",
        "ring me back after seven", "I can't hear you, I'm on the train, call back later",
        "I need to ask my husband first, can you call me tomorrow", "let me check with my daughter and call me back",
        "busy now, later", "call tomorrow please, I'm busy", "I'm in a shop, phone me back later",
        "catch me later, I'm flat out", "give us a bell later", "I'm at the hospital, try me tomorrow",
        "ring back after the kids are in bed", "I'm just out the door, can you call later"],
    ("appointment", "not_patient", "not-patient-3"): [
        "she's not here, I'm her husband, I'll tell her", "this is his mum, he's at school, I'll let him know",
        "I'm not the patient, I'm his carer", "you're talking to her daughter", "I'm his wife, he's at work now",
        "this isn't her, it's her sister", "I'm only the babysitter", "he is my father, he not home",
        "I just answer her phone, I'm the nurse"],
    ("appointment", "wrong_number", "wrong-3"): [
        "I don't have appointment, wrong number", "I never booked anything, you've got the wrong person",
        "who? no one by that name here", "I'm not with that clinic, wrong number",
        "you must be after someone else, wrong number", "I'm not registered there, you've got the wrong person"],
    ("appointment", "opt_out", "stop-3"): [
        "I don't want these phone calls, stop", "please stop, no more calling", "no more calls please, thank you",
        "stop phoning, I've told you", "you lot keep ringing, stop it", "don't call my mobile again",
        "I'm fed up of these calls, stop ringing", "no more robot calls please", "take my number off your system",
        "stop calling, I am not interested", "please remove me, no more calls", "don't be ringing me again"],
    ("appointment", "question", "elder-q"): [
        "which surgery is it, the one on the high street?", "is it the lady doctor?",
        "what time did you say, dear?", "is it the morning or afternoon?", "can my son come in with me?",
        "will there be stairs?", "do I need to bring my tablets?", "is it the same place as before?",
        "what's it for, love?", "is it for my eyes or my ears?"],
    ("appointment", "question", "nonnative-q"): [
        "what time is appointment", "which date is it", "where is the clinic please", "I need bring something?",
        "is doctor speaking hindi", "what is the address of clinic", "how much I have to pay",
        "which doctor I am seeing", "the appointment is for what", "can I bring my interpreter"],
    ("appointment", "question", "other-q"): [
        "is it on the ground floor", "do I need to bring a sample", "will it be a long wait",
        "can I park out front", "do I need to fill in forms beforehand", "will I need someone to drive me home",
        "is it okay to eat beforehand", "can I bring the kids along", "is there a toilet there",
        "will I get my results that day", "is this the one for my knee", "who's my doctor for that",
        "how long will it be roughly", "do I still need to come if I feel fine?"],
    ("appointment", "human", "person-3"): [
        "I want talk to a real person", "can I speak to the girl at the desk", "put me through to reception",
        "I'd rather talk to a human being", "is there anyone there I can speak to", "get me the surgery",
        "I don't like talking to these machines, put me to someone", "let me speak to the practice manager",
        "can I talk to my doctor", "I want to speak to someone about my appointment"],
    ("appointment", "unclear", "unclear-3"): [
        "eh?", "what's that love?", "I can't hear you, speak up", "what? I didn't get that",
        "sorry, the kids are screaming, what?", "I don't understand", "sorry, my English not so good, again please",
        "slowly please", "sorry I'm a bit confused", "hmm, not sure really",
        "maybe, maybe not", "I'll see", "I have to check", "depends on the weather", "could be",
        "let me see, hmm", "I'm not sure, I'll have to ask my wife", "who knows", "dunno",
        "sorry, were you talking to me", "hang on, hang on"],
    # ---- yes_no --------------------------------------------------------------------------------------------
    ("yes_no", "confirm", "yes-3"): [
        "yes please, that'd be lovely", "oh yes, go on", "yes, that's fine, thank you dear", "yes I want",
        "yes please do it", "ok, do it", "yeah, go for it", "yeah sure, why not", "aye go on",
        "yes, I'd like that please", "I think so, yes", "grand, yes", "ok yes please", "yes that's good"],
    ("yes_no", "unclear", "no-3"): [
        "no no, that's fine", "no thank you dear", "no, nothing", "no I don't need", "no thanks love",
        "no, you're alright", "nah I'm good", "no that's all", "no, I'm sorted", "no ta", "no, all good",
        "not needed thank you", "no, no more", "nothing more, thanks"],
    ("yes_no", "unclear", "unsure-3"): [
        "eh? what?", "I don't know really", "um, I'm not sure", "could you say it again", "maybe, I don't know"],
    ("yes_no", "question", "q-3"): [
        "how will you send it", "is that a text or a letter", "what would that involve", "does it cost me"],
    ("yes_no", "opt_out", "stop-3"): [
        "no, and stop ringing me", "no, just stop calling"],
    ("yes_no", "human", "person-3"): [
        "put me through to someone please", "I'd like a real person"],
    ("yes_no", "callback_later", "later-3"): [
        "ring me back later, I'm busy", "can you call again tomorrow"],
    # ---- slot_choice ---------------------------------------------------------------------------------------
    ("slot_choice", "confirm", "pick-3"): [
        "the first one, dear", "the morning one, I don't like going out late", "second one is ok",
        "first one is good for me", "I take the first", "I will take second one", "the last one you said",
        "the tuesday, please", "the one at ten", "ten is better", "I'll do the early one", "number two please",
        "the afternoon, that one", "go for the first", "yeah the second", "the thursday one suits me",
        "I'll grab the last one", "the early one, before the school run", "the first, if that's ok",
        "the 2 o'clock one please", "ok the monday one", "uh the second I think", "the one in the morning please",
        "the latest one you have", "the one on wednesday is good"],
    ("slot_choice", "reschedule", "none-3"): [
        "none of that is good", "no, those are no good", "nothing else?", "any other day maybe",
        "do you have later ones", "all of those are bad for me", "I can't do any of them", "not those, sorry",
        "is there something on a saturday", "can it be in the evening", "anything after the school run",
        "none of them, I work those days", "haven't you got anything later?", "those don't suit, anything else",
        "what else is there"],
    ("slot_choice", "question", "q-3"): [
        "which one is the morning", "is the first one with the same doctor", "where is the second one",
        "how long is each one"],
    ("slot_choice", "unclear", "unclear-3"): [
        "sorry, what were they", "say them again slowly", "hmm, I don't know", "wait, I need my diary",
        "eh? which ones?"],
    ("slot_choice", "cancel", "cancel-3"): [
        "actually just cancel it", "forget it, cancel"],
    ("slot_choice", "callback_later", "later-3"): [
        "let me check and call me back", "ring me back later with times"],
    ("slot_choice", "human", "person-3"): [
        "can I speak to reception about it"],
    # ---- more, where CV on the batch above was weakest (unclear, cancel, question) and for identity safety ----
    ("identity", "not_patient", "roles-3"): [
        "this is his support worker", "I'm her care worker", "it's the home carer here",
        "I'm from social services, I'm with her now", "this is his key worker", "I'm the interpreter for the family",
        "I have power of attorney for her", "this is the housekeeper", "I'm the cleaner, they're out",
        "I'm the au pair", "this is the lodger", "I'm her foster mum", "I'm his PA, he's in a meeting"],
    ("identity", "not_patient", "unavailable-3"): [
        "he's not available right now", "she can't talk, she's poorly", "he's indisposed", "she's in with the doctor",
        "he's out walking the dog", "she's at bingo", "he's still in bed", "she's not up yet", "she's lying down",
        "he's in the garden, he can't hear the phone", "he's not available, sorry", "she's not available today"],
    ("appointment", "unclear", "unclear-4"): [
        "I'm not sure what day it is today", "hmm, I'd have to look", "can't say", "oh gosh, I don't know",
        "not a clue", "um, er", "I'd need to think on it", "wait what was the question", "sorry I zoned out",
        "sorry, what was that about", "I don't rightly know", "maybe yes, maybe no", "no idea to be honest",
        "sorry love, you lost me"],
    ("appointment", "cancel", "cancel-4"): [
        "I won't be needing it, thanks", "no need for it anymore, I'm all healed up",
        "I'm not coming in at all, take it off", "scratch that appointment", "bin it, I don't need it",
        "I want to get rid of the appointment", "just cancel the whole thing",
        "I had it sorted at the walk-in, cancel it",
        "the GP sorted it, so I don't need this one", "we won't be needing it, cancel", "it's no longer required",
        "I'm not interested in the appointment anymore"],
    ("appointment", "question", "q-4"): [
        "is that the one at the hospital or the surgery",
        "have I got to bring anything", "what's the doctor's name again",
        "will I get a reminder text", "do I have to take the whole day off for it", "how will I know where to go",
        "is there a bus stop near it", "will they take bloods", "is there a lift", "what's it to do with",
        "is that this tuesday or next"],
    ("appointment", "confirm", "after-aside"): [
        "oh hello, yes, I'm coming", "sorry I was in the garden, yes I'll be there",
        "hang on let me turn the radio down, right, yes that's fine", "ah the kettle, sorry, yes I'll come",
        "oh the appointment, yes I'll be there", "sorry, kids, be quiet, yes that's fine, I'll be there",
        "I just got in the door, but yes, I'll be there"],
    ("yes_no", "confirm", "yes-4"): [
        "please, yes", "yes, that would help me", "yes, send it", "go on then love", "yes, that'd be handy",
        "mm yes please"],
    ("yes_no", "unclear", "no-4"): [
        "no, not this time", "no, it's okay", "nah leave it", "no I'm fine ta", "no, that's me done"],
    ("slot_choice", "confirm", "pick-4"): [
        "whichever's earliest", "I'll take whatever's first", "the first one you said, the morning",
        "number one is good", "that last one", "the one on the thursday"],
    ("slot_choice", "reschedule", "none-4"): [
        "nothing in the evening at all?", "I work all those, anything on the weekend", "none are good, sorry",
        "could you look at the week after"],
}



# Fourth batch (families4): written from the label definitions in tests/agent/data/README.md by a new author,
# aimed at what the first three batches lack: answers that only imply the intent ("I've got my kids that day",
# "give my slot to someone else"), confirmations with no yes-word ("put me down as a yes", "sorted", "that's in
# the diary"), confirmations with an aside or a question tacked on, slot picks said indirectly ("the later one
# suits me", "whichever is in the morning"), third parties who say "yes" at the identity step, short clipped
# replies, background talk, idiom (Scottish, Irish, Australian, Indian, Caribbean, US Southern), non-native
# grammar, elderly politeness and annoyed callers; weighted to CV's weakest labels (unclear, question, cancel,
# confirm). Never from a held-out reply.
FAMILIES_4: dict[tuple[str, str, str], list[str]] = {
    # ---- identity ----------------------------------------------------------------------------------------
    ("identity", "confirm", "f4-no-yesword"): [
        "you've got her", "that's what they call me", "the very same", "in the flesh", "last time I checked",
        "guilty as charged", "present and correct", "one and the same", "at your service", "that's my name"],
    ("identity", "confirm", "f4-idiom"): [
        "aye, it's masel", "it's meself, go on", "howya, that's me", "g'day, yeah that's me",
        "yes ma'am, that's me", "yes mon, is me", "this is me only, tell", "haan, it's me", "yes darling, speaking",
        "that's me, pet"],
    ("identity", "confirm", "f4-clipped"): [
        "yep, me", "that's me, go", "yeah, go on", "it's me, yeah"],
    ("identity", "confirm", "f4-annoyed"): [
        "yes it's me, what now", "yes, obviously, it's my phone", "yes, it's me, I'm at work so be quick",
        "it's me, get on with it", "yes yes, it's me, hurry up"],
    ("identity", "not_patient", "f4-yes-but-relative"): [
        "yes, I'm her husband", "yeah, this is his mum", "yes dear, I'm his wife", "yes, I'm the carer",
        "yeah it's her phone, I'm her mother", "yes, I'm her daughter, she asked me to answer",
        "yes this is his number but I'm his wife", "yeah, his dad here", "yes, I'm the one who looks after him",
        "yes, I'm her son, go ahead"],
    ("identity", "not_patient", "f4-yes-she-lives-here"): [
        "yes she lives here but she's at work", "yeah he's here, hold on", "yes, she's here, one moment",
        "yes he does live here, he's asleep though", "yeah that's my wife, she's in the shower",
        "yes that's my husband, he's out", "yeah that's my son, he's upstairs", "yes, she's about, I'll shout her",
        "yeah, that's my flatmate, she's not in"],
    ("identity", "not_patient", "f4-household"): [
        "it's the wife", "it's the missus here", "it's his other half", "the husband speaking",
        "this is the mother-in-law", "it's his stepdad", "it's her gran speaking", "I'm her better half",
        "you've got the son", "it's her wee sister"],
    ("identity", "not_patient", "f4-nonnative"): [
        "no, he is my brother-in-law", "she is my wife, she is cooking", "I am the mother of him",
        "he not available, I am his uncle", "she is in the office, I am husband", "no, he is my son, he is small",
        "that is my father, he is sleeping", "yes, my husband, but he not here"],
    ("identity", "not_patient", "f4-not-me"): [
        "no, different person", "no, you've got the other one", "no, I'm the other twin",
        "not me, love", "no, that's my mum's name", "no, I'm his cousin"],
    ("identity", "question", "f4-who"): [
        "depends who's asking", "and who might you be", "what's this in connection with",
        "who gave you this number", "go on, what's it about", "is this the dentist?", "is everything alright?",
        "is something wrong with him?", "you're calling from where, sorry?", "what clinic did you say",
        "is this a real call or a scam", "before I say, who are you"],
    ("identity", "question", "f4-fishing"): [
        "what's the appointment, I'll tell her", "just give me the date and I'll pass it on",
        "when's he meant to be going", "what's she booked in for", "is it the hospital one or the GP",
        "what time's his appointment, I'll make sure he goes"],
    ("identity", "wrong_number", "f4-wrong"): [
        "she hasn't lived here for years", "not at this number, sorry", "no one here goes by that",
        "you've rung a business, no one by that name here", "I think you've the wrong number",
        "this number's been mine since January, don't know them", "there's no one of that name, love",
        "wrong house, sorry"],
    ("identity", "opt_out", "f4-stop"): [
        "whoever you are, stop calling here", "I want this number taken off, now", "quit ringing this house",
        "don't call us again, we're not interested", "remove this number from whatever list you've got"],
    ("identity", "callback_later", "f4-later"): [
        "I'm up a ladder, can you ring back", "call back after the school run", "not now, ring in an hour",
        "she's back at five, try then", "I'm just putting the tea on, call back later"],
    ("identity", "unclear", "f4-noise"): [
        "sorry, you're cutting in and out", "hang on, I'm just pulling over", "hello? is someone there?",
        "what? hold on, the dog", "sorry, I was miles away", "eh, say again", "hiya, sorry, what?",
        "one sec, I've got flour on my hands"],
    # ---- appointment -------------------------------------------------------------------------------------
    ("appointment", "confirm", "f4-no-yesword"): [
        "you can put me down as a yes then", "that's in the diary", "sorted", "consider it done",
        "count me in for that",
        "I've got it on the calendar", "nothing's stopping me", "I'll be there on the dot",
        "I'll be there with bells on", "I was going anyway", "that's me then, see you Tuesday",
        "wild horses couldn't keep me away"],
    ("appointment", "confirm", "f4-idiom"): [
        "no dramas, I'll be there", "sweet as", "that's champion", "deadly, I'll be there", "aye, that's grand",
        "right you are", "spot on", "I'll be there, Lord willing", "I reckon I can do that", "aye, nae bother",
        "that'll do me", "sound, see you then", "I'll be along, no fear", "yes, I will come definitely",
        "ok done, I'll come", "ya, fixed, I'll come"],
    ("appointment", "confirm", "f4-plus-question"): [
        "I'll be there, where do I park?", "yes that's fine, is it the same building?",
        "fine, do I need to bring anything?", "I'll come, how long will it take?",
        "that's fine, can my husband come in with me?", "yes I'll be there, is it Dr Patel still?",
        "I'll make it, should I come early?", "sure, what floor is it again?"],
    ("appointment", "confirm", "f4-with-aside"): [
        "yes, sorry, the washing machine's going, yes I'll be there",
        "hold on, Jack put that down, sorry, yes that works", "I'm on the bus but yeah, that's fine",
        "oh thank goodness you rang, I'd forgotten, yes I'll come",
        "my memory's terrible, thanks for ringing, I'll be there",
        "I'm glad you called, yes that's fine", "yes, I'll be there, just got to sort the dog out",
        "hmm Thursday, let me look, yes, that's fine", "right, that's the one for my knee, yes I'll come"],
    ("appointment", "confirm", "f4-elder"): [
        "that would be very nice, thank you dear, I'll be there", "oh how kind of you to ring, yes I'll come",
        "I shall be there, thank you", "yes, I'll get my grandson to bring me", "I'll be there, God bless you",
        "oh lovely, I'll put it on the fridge", "yes dear, I'll be there, I've nothing else on"],
    ("appointment", "confirm", "f4-clipped"): [
        "yep, fine", "grand", "cool", "yep, I'll be in", "yup, sorted", "fine by me", "works", "will be there",
        "coming", "mhm, fine"],
    ("appointment", "confirm", "f4-keep"): [
        "I'd like to keep that appointment, please", "leave me in", "keep me booked", "don't touch it, I'm coming",
        "hang on to it for me, I'll be there", "I'm keeping it", "I want it to stay as it is",
        "same as planned, I'll be in"],
    ("appointment", "confirm", "f4-nonnative"): [
        "yes, I will be there in time", "ok, I am coming that day", "yes yes, no problem for me",
        "sure, I can come on that day", "fine, I will reach", "is ok for me, I come", "yes, that day is good for me"],
    ("appointment", "reschedule", "f4-implied"): [
        "I've got my kids that day", "that's the day of my daughter's wedding", "I'm on nights that week",
        "we'll be in Spain then", "my husband has the car that day", "that's my dialysis day",
        "I've got jury duty that week", "I start my new job that morning", "that's the day we're moving house",
        "I'm working a double that day", "I'll still be in hospital then"],
    ("appointment", "reschedule", "f4-counter"): [
        "could we say Friday instead", "any joy later in the week?", "is there nothing nearer the weekend",
        "I could do the Monday after", "how are you fixed for the following week", "I'm freer after three",
        "mornings are easier for me, have you got one", "if you've anything on a Saturday I'll take it"],
    ("appointment", "reschedule", "f4-no-but"): [
        "no, sorry, I've got work", "not that day, love", "nah, I'm away", "no chance, I'm working",
        "that's not going to happen, I'm at a funeral", "no, I'm at my mum's that week",
        "nope, that's my day in the office", "no, I'm afraid that's a no go"],
    ("appointment", "reschedule", "f4-nonnative"): [
        "that day I am going to village", "I have exam that day, other date please",
        "my son is not coming that day to drive, change please", "that time I have duty",
        "that date not possible, I am in travel", "please make it another day, I am busy that day"],
    ("appointment", "cancel", "f4-implied"): [
        "give my slot to someone who needs it", "let someone else have it", "you can give it away",
        "I've gone private, so I won't need yours", "the pain's gone so I won't be coming",
        "I'm not going through with it", "I've changed my mind about the whole thing, don't want it",
        "I'm pulling out of it", "I'll not bother going now", "I've had it done at the hospital already, so no",
        "we've decided against it", "I'd rather not go at all"],
    ("appointment", "cancel", "f4-plain"): [
        "cancel it, please and thank you", "cancel, I'm sorted now", "can you cancel, I'm moving away",
        "just cancel it, ta", "cancel it, I don't want it", "please cancel it for me, I'm better now",
        "cancel that one, I got sorted", "I want it cancelled, not moved"],
    ("appointment", "cancel", "f4-annoyed"): [
        "I've waited months, forget it, I went elsewhere", "don't bother, I've given up on you lot",
        "scrub that appointment, I'm not coming", "just wipe it, I'm not interested anymore",
        "I've already told the receptionist to cancel it", "cancel it, I don't know why it's still booked"],
    ("appointment", "cancel", "f4-nonnative"): [
        "I don't want appointment now, cancel", "no need appointment, I am fine now",
        "please cancel, I go to other hospital", "I am not coming, please remove appointment",
        "cancel please, problem is finish"],
    ("appointment", "callback_later", "f4-later"): [
        "I'm just going into the dentist, ring me after", "can you try me on my lunch break",
        "I'm up to my elbows here, call back", "I'm in the queue at the post office, call later",
        "I'll need to check my rota, can you ring tomorrow", "ring me tonight, I'll have my diary then"],
    ("appointment", "not_patient", "f4-relative"): [
        "he's my husband, I'll make sure he comes", "she's at school, I'm her mum, I'll bring her",
        "I'm answering for my father, he's deaf", "I'll pass it on, I'm just the neighbour"],
    ("appointment", "opt_out", "f4-stop"): [
        "this is the third call, stop ringing me", "no more automated calls please", "get me off your call list",
        "I don't want calls from you, ever", "stop phoning, I'll ring you if I need you"],
    ("appointment", "human", "f4-person"): [
        "can I have a word with the receptionist", "put me onto someone at the desk",
        "I'd sooner talk to a person, love", "can a real person ring me, I don't like this",
        "can you transfer me to the surgery"],
    ("appointment", "question", "f4-practical"): [
        "how long's it going to take, I've got to get back to work", "is it the fasting one?",
        "will I have to get undressed?", "is the doctor a man or a woman?", "do I need my referral letter?",
        "is it still at the old building?", "what happens if I'm a bit late?", "is there a chemist there?",
        "will they do the jab that day?", "do I need to do a sample first thing?",
        "can I come in my wheelchair?", "will it hurt?", "which entrance do I use?", "is it the same as last time?"],
    ("appointment", "question", "f4-clarify"): [
        "sorry, was that Tuesday or Thursday?", "hang on, what date is that?", "did you say two or ten?",
        "is that this week or next?", "which Dr X, the young one?", "remind me what it's for?",
        "was that morning or afternoon?", "what did you say the time was?", "is that the one I booked in March?"],
    ("appointment", "question", "f4-nonnative"): [
        "doctor is lady or man?", "how many hours it takes", "where I have to go inside?",
        "I need to be empty stomach?", "what paper I should bring", "the clinic is near station?"],
    ("appointment", "unclear", "f4-unsure"): [
        "ooh, now you're asking", "search me", "it's up in the air", "might do, might not", "touch and go",
        "depends on my shifts", "depends if my son can drive me", "I'm on the fence", "it's fifty fifty",
        "I'll have to see how I feel", "not sure, I'll see nearer the time", "could go either way"],
    ("appointment", "unclear", "f4-fragments"): [
        "well the thing is", "I, um", "right, so", "sorry, I got distracted", "the kettle's going, what?",
        "huh? who?", "sorry, I'm in the car park", "what was that, love?", "er, hold on, hold on",
        "ah, um, let me", "sorry, I was on the other line"],
    ("appointment", "unclear", "f4-offtopic"): [
        "oh, my neighbour's at the door",
        "I've just had my tea", "I don't really understand these calls",
        "I don't know, I'm confused now", "I'm not with you, sorry"],
    # ---- yes_no --------------------------------------------------------------------------------------------
    ("yes_no", "confirm", "f4-yes"): [
        "by all means", "if you would", "that'd be grand", "please and thank you", "aye, please",
        "I'd appreciate that", "yes, do", "go for it, love", "I'd like that, yes", "that would be smashing",
        "please, that would help", "ok, send it over", "yes, that suits", "alright then, go on"],
    ("yes_no", "confirm", "f4-yes-aside"): [
        "yes, and thank you for calling", "yeah go on, you've been very helpful",
        "yes please, I always forget otherwise", "sure, text me, my memory's shocking",
        "ok yes, my phone number's the same", "yes, that's fine, thanks ever so much"],
    ("yes_no", "unclear", "f4-no"): [
        "I'm grand, thanks", "that's me sorted", "that's everything, cheers", "I think we're done",
        "you've been very helpful, that's all", "no, that'll do", "all good here", "nothing springs to mind",
        "that's all I needed", "I'm alright, thanks love", "nah, you're grand", "no ta, bye",
        "no, I'm happy as it is", "not for me, thanks", "I'll pass, thanks"],
    ("yes_no", "unclear", "f4-unsure"): [
        "I'm in two minds", "I'll have to think about that", "hmm, not sure", "whatever you think",
        "I don't mind either way", "not fussed", "up to you really", "eh, maybe"],
    ("yes_no", "question", "f4-q"): [
        "would it come by text or email?", "what's the catch?", "and that's free, yeah?",
        "would I need to do anything?", "is that to my mobile or the landline?", "how soon would I get it?",
        "what number will it come from?", "can my daughter get it too?", "will it tell me where to park?",
        "what would you be sending exactly?"],
    ("yes_no", "cancel", "f4-cancel"): [
        "actually, I'd rather just cancel the whole thing", "no, cancel it, I've changed my mind",
        "forget that, just cancel my appointment", "you know what, cancel it"],
    ("yes_no", "reschedule", "f4-move"): [
        "actually can we move it to another day", "before that, I need a different time",
        "hang on, I'll need to change the day"],
    ("yes_no", "callback_later", "f4-later"): [
        "can you ring me back about that", "I'll have to think, call me tomorrow", "call me later, I'm driving"],
    ("yes_no", "human", "f4-person"): [
        "can I just speak to the desk", "I'd rather a person sorted it"],
    ("yes_no", "opt_out", "f4-stop"): [
        "no, and don't ring me again", "just stop calling me, that's all"],
    # ---- slot_choice ---------------------------------------------------------------------------------------
    ("slot_choice", "confirm", "f4-indirect"): [
        "the later one suits me", "whichever is in the morning", "let's go with Thursday", "I'll have the half past",
        "the one after lunch", "give me the earliest you've got", "the Friday, that's my day off",
        "ooh, the second, that's handy", "that first one would be perfect", "I'll grab the early one",
        "put me in for the afternoon one", "the Tuesday would be lovely", "the one nearest lunchtime",
        "I'll go for the last of those"],
    ("slot_choice", "confirm", "f4-either"): [
        "either's fine", "whichever, I'm flexible", "any of those is fine, you pick", "I don't mind, the first",
        "both are good, give me the first", "either one works, put me in the earlier"],
    ("slot_choice", "confirm", "f4-after-thought"): [
        "hmm, let me think, the Wednesday", "ooh, let me see, the second one", "wait, I'm on lates, so the morning one",
        "not the first, the second please", "the first, no, the second, yes the second",
        "Monday, hang on, yes, Monday's fine", "the ten, as long as it's not too busy"],
    ("slot_choice", "confirm", "f4-nonnative"): [
        "first one I take", "I like the second time", "morning time is good, that one", "give me that thursday",
        "second one ok for me", "the last one I will come"],
    ("slot_choice", "reschedule", "f4-decline"): [
        "none of those, I'm on earlies", "I'm at work for all of those", "what've you got on a Saturday",
        "those are all school hours", "is there anything after five", "nope, none of them",
        "I can't get off work for any of those", "they're all a bit early for me", "no, I need a later one",
        "have you nothing the week after"],
    ("slot_choice", "reschedule", "f4-nonnative"): [
        "these times not good for me", "no, I want evening time", "other day you have?",
        "all this times I am working"],
    ("slot_choice", "question", "f4-q"): [
        "which of those is with a woman doctor?", "is the Thursday at the same surgery?",
        "is the morning one before nine?", "are any of them with Dr X?", "which one's at the new clinic?",
        "is the later one still in daylight?"],
    ("slot_choice", "unclear", "f4-unclear"): [
        "ooh, I don't know", "let me get a pen", "hang on, hang on, say them slower", "hmm, tricky",
        "give me a minute to look", "sorry, I didn't catch any of that"],
    ("slot_choice", "cancel", "f4-cancel"): [
        "none, just cancel it altogether", "actually, don't bother, cancel it", "you know what, forget it, cancel"],
    ("slot_choice", "callback_later", "f4-later"): [
        "I'll need my diary, ring me back in ten minutes", "call me back tonight and I'll pick one"],
    # ---- more, for CV's weakest labels (unclear, question, cancel, confirm) and identity safety ------------
    ("identity", "not_patient", "f4-yes-carer-role"): [
        "yes, it's the care home, she's in the lounge", "yes, this is the nurse looking after him",
        "yeah I'm with her, I'm from the agency", "yes, I do her calls, I'm her niece",
        "yes, I'm his interpreter, he doesn't speak English", "yeah this is his support worker"],
    ("identity", "question", "f4-nonnative-q"): [
        "who is this one calling", "from which hospital you are", "for what reason you want him",
        "you are from clinic?", "what is the matter?"],
    ("identity", "unclear", "f4-elder"): [
        "I can't hear you, dear, say it again", "hold on, I need my hearing aid", "sorry, I'm deaf in this ear",
        "what's that, love? I've the telly on", "speak slowly please, I'm old"],
    ("appointment", "cancel", "f4-soft"): [
        "I think I'll leave it, thanks, I'm much better", "I'll not need that one now, thanks",
        "we can let that one go, I'm fine now", "I don't think I'll need it after all",
        "to be honest I don't need it anymore", "I'm over it now, no need for it",
        "I'm registered somewhere else now, so cancel it", "we've emigrated, so you can cancel",
        "I've moved to Leeds, I won't be coming"],
    ("appointment", "question", "f4-admin"): [
        "will I get charged if I miss it?", "is there a fee for it?", "do you need my new phone number?",
        "can I get a sick note while I'm there?", "do I check in at the machine or the desk?",
        "before I say yes, is it the same doctor?", "is it a long one? I've got work after",
        "who's Dr X, I don't know him?"],
    ("appointment", "unclear", "f4-conditional"): [
        "depends what time I finish", "if my lift turns up", "possibly, if the car's fixed by then",
        "hard to know with my back the way it is", "I'll need to check with work", "I'd have to ask my boss",
        "it hinges on the childminder"],
    ("appointment", "confirm", "f4-asr"): [
        "yeah ill be their on chewsday", "thats fine ill be they're", "shore I'll be there", "yeah sounds grate",
        "yes I'll come in then thanks", "okay that's fine buy me", "yes I'll be their for sure"],
    ("slot_choice", "confirm", "f4-asr"): [
        "the frist one", "the second won please", "thirsday please", "the too o'clock", "the morning won please",
        "the lass one"],
    ("yes_no", "confirm", "f4-clipped"): [
        "do", "yes do it", "please", "yep, go", "ok ta", "aye"],
    ("yes_no", "unclear", "f4-no-idiom"): [
        "you're alright love", "nah, no need, cheers", "I'm sorted, ta", "not at all, thanks",
        "all done, thanks", "that's the lot, thanks"],
}


# Fifth batch (families5): written from the label definitions in tests/agent/data/README.md by another new author,
# aimed at what the first four batches lack: the intent carried by a subordinate clause or said last after a long
# preamble ("the thing is my daughter drives me and she's working tuesday so could we..."), speakers of Nigerian,
# Caribbean, Scottish, Irish, Indian, Filipino and Spanish-speaker English, older speakers, children and teenagers
# answering a parent's phone, run-on ASR text with homophones and dropped words, household words the rules do not
# list ("her twin", "his missus", "hubby"), and third parties who say "yes" at the identity step; every label in
# every context it occurs in, weighted to CV's weakest labels (unclear, question, cancel, confirm, wrong number).
# Never from a held-out reply.
FAMILIES_5: dict[tuple[str, str, str], list[str]] = {
    # ---- identity ----------------------------------------------------------------------------------------
    ("identity", "confirm", "f5-preamble-yes"): [
        "sorry I had to run in from the garden, I'm out of breath, but yes this is her",
        "oh I wasn't expecting a call today, yes that's me",
        "I nearly didn't answer cos it came up unknown but yeah it's me",
        "we've had so many scam calls lately, but yes, you're speaking to me",
        "hold on let me just turn the hob off, right, yes, speaking",
        "I'm at the checkout so bear with me, yeah it's me",
        "my phone's been playing up all week so sorry if I cut out, yes this is me",
        "sorry I was in the shower, yes, it's me you want",
        "you caught me just as I was going out the door but yes, that's me",
        "I've been waiting on a call from you lot, yes, speaking"],
    ("identity", "confirm", "f5-regional"): [
        "yes o, it's me", "it's me, go ahead please", "yes ma, I'm the one", "is me same one, yes",
        "aye, that's me, hen", "aye it is, aye", "yes, myself only speaking", "haan ji, speaking",
        "yes po, this is me", "yes, it's me po", "si, si, is me", "yes, I am, tell me", "that's me, boss",
        "yes sah, is me", "yes, this one is me", "it's myself, yeah"],
    ("identity", "confirm", "f5-elder"): [
        "oh yes, that's me, I don't get many calls", "speaking, dear, speaking", "yes, it is I",
        "yes, you're through to me", "that's right, I'm the one", "yes, I'm the one you're after",
        "it's me, dear, go on", "yes, yes, the very person", "that's me, I'm still here"],
    ("identity", "confirm", "f5-own-phone"): [
        "yeah it's me, my mum said you'd call", "ye this is me", "mm yeah it's me",
        "it's me yeah, I'm the one with the appointment", "yes, it's my appointment, go on",
        "yeah that's me, it's my own phone", "yes, I'm the patient, go ahead", "yup, me, what's up"],
    ("identity", "confirm", "f5-asr"): [
        "yeah this is she", "yes this is him speaking", "yes its me speaking now", "yeah speakin",
        "yes thats me yeah", "yes it is mi", "yep this is shea", "ya this is me tho", "yes speaking here yes",
        "yeah yeah thats me go on"],
    ("identity", "not_patient", "f5-yes-third-party"): [
        "yes, this is her phone, but she's in surgery herself today",
        "yeah that's right, I'm his carer, I take all his calls",
        "yes yes, my mother, she is here but she can't hear well, you tell me",
        "yes, it's his number, this is his wife, he said I could deal with it",
        "yeah, speaking for him, I'm his son", "yes, I'm her power of attorney, you can tell me",
        "yes hello, I'm answering for my grandmother", "yes, that's my dad, he's asleep, I'm his daughter",
        "yes, I'm the guardian, she's fourteen", "yeah, it's his phone, he's just gone to the toilet",
        "yes, is my husband phone, I am the wife", "yes po, I'm her caregiver",
        "yes, I'm his wife, he is at work, you can talk to me", "yep, I look after her, I'm the daughter",
        "yes, she's my patient, I'm her nurse at the home", "yes this is her mobile, she's out",
        "yes, his phone, he can't talk right now", "yes, you've got the right house, she's out",
        "yes, we were expecting your call, she's upstairs", "yes, go ahead, I'm his next of kin"],
    ("identity", "not_patient", "f5-child-answering"): [
        "this is her son, she's driving, she told me to answer",
        "it's his daughter, I'm twelve, he's in the shower", "um my mum's busy, I'm her kid",
        "mum's in the bath, this is her daughter", "dad can't come to the phone, he's cooking, I'm his son",
        "my mom said to pick up, she's on the other line",
        "it's her phone but I'm just playing on it, she's downstairs",
        "I'm not her, I'm her little girl", "she's my mummy, she's sleeping",
        "this is his kid, he left his phone at home",
        "hello? this is the little boy, my daddy is at work", "my nan's phone, she's gone to the shop"],
    ("identity", "not_patient", "f5-preamble-relative"): [
        "well the thing is she's had a fall so I've been staying with her and answering her phone, I'm her sister",
        "oh he's been ever so poorly, I'm taking all his calls at the moment, I'm his wife",
        "sorry, she asked me to pick up because her hands are bad, I'm her neighbour",
        "we share this phone, but the appointment's his, I'm his partner",
        "he's got dementia now so I handle everything for him, I'm his son",
        "since her stroke I do all her phone calls, I'm the daughter in law",
        "it's a family phone, it's his mum talking",
        "I'm not him, I'm just minding his phone while he's in theatre"],
    ("identity", "not_patient", "f5-household-words"): [
        "yes, this is her twin", "I'm his missus, he's at work", "it's her godmother here",
        "this is her childminder", "I'm the tenant, she's my landlady", "it's her hubby here",
        "I'm his bestie, he's in the shower", "I'm her da", "it's his ma", "this is his fiancée speaking",
        "it's his other half, he's out", "this is her stepmum"],
    ("identity", "not_patient", "f5-absent"): [
        "she has gone to work, she is not around", "him gone to work, him not here", "he's away at the mosque",
        "she's at the temple this morning", "he's gone to the bookies", "she's in the bath, she can't come",
        "he's down at his allotment", "she's still at work, she's on lates", "he's out on the boat",
        "she's gone to mass", "he's in Lagos for a fortnight", "she's in the Philippines visiting family",
        "he's gone swimming", "she is not in the house now", "he's away with the army"],
    ("identity", "not_patient", "f5-its-his-phone"): [
        "it's his phone but he's not with me", "this phone belongs to my husband",
        "you've rung her mobile but she left it here", "it's her number, she's just not the one talking",
        "I picked up his phone by mistake", "this is his work phone, I'm his secretary",
        "it's my wife's phone, I'm the husband", "this is the house phone, she's not in",
        "she lent me her phone for the day"],
    ("identity", "not_patient", "f5-bare-no"): [
        "no it isn't her", "nah, that's not me", "no love, not me", "no, this isn't him speaking",
        "no, I'm somebody else", "no, you've got the husband", "no o, is not me", "no, that's not myself"],
    ("identity", "wrong_number", "f5-wrong"): [
        "there's no one here by that name, this is a business line", "I think you've got a digit wrong",
        "nobody of that name lives at this address", "you must have an old number for them",
        "this is a new sim, I don't know who had it before", "I've never heard that name in my life",
        "we've had this landline twenty years and there's never been anyone called that",
        "you've mixed up the numbers, dear, nobody here's called that", "sorry, no such person at this number",
        "I am not knowing this person, wrong number it seems", "no, no, nobody like that here, you have the wrong one",
        "that name means nothing to me, you've dialled wrong"],
    ("identity", "question", "f5-who"): [
        "hang on, before I say anything, who are you with", "how do I know you're really from the clinic",
        "which practice is this, I'm with two", "is this about the scan or something else",
        "what's it concerning, please", "who's on the line", "who be this please",
        "where you calling from, sorry?", "what is it pertaining to", "which hospital is this calling",
        "is this the chemist or the doctor's"],
    ("identity", "question", "f5-fishing"): [
        "just read me the appointment and I'll write it down for her",
        "can you not just tell me what day it's for", "which day is it for, I'll put it on the calendar",
        "is it the eye clinic again, I'll remind him", "give me the time, I do his diary",
        "what's he going in for this time"],
    ("identity", "unclear", "f5-noise"): [
        "hello? you're breaking up", "sorry, can't hear a thing, I'm at the match", "what? I've got the hoover on",
        "wait, wait, I'm on speaker, say again", "sorry I just woke up, what", "huh whats that the trains going past",
        "ehh, I no hear you well", "say that one more time please"],
    ("identity", "opt_out", "f5-stop"): [
        "we're on the do not call list, stop ringing this number", "I'm not doing this, don't phone here again",
        "please delete this number from your records and stop calling", "you people call every day, stop it now",
        "no more calls to this house, thank you"],
    ("identity", "callback_later", "f5-later"): [
        "I'm just in the middle of something, can you ring her back at four",
        "she'll be back from the school run at half three, try then", "I'm driving, call me back in twenty minutes",
        "could you ring after the weekend, we're away", "can you call back when I'm not at work, after five"],
    ("identity", "human", "f5-person"): [
        "can I just speak to the receptionist instead of you",
        "is there a real person I can talk to please, I don't trust these"],
    # ---- appointment -------------------------------------------------------------------------------------
    ("appointment", "confirm", "f5-subordinate"): [
        "well as long as my son can get the morning off, which he said he can, then yes I'll be there",
        "my husband was going to drive me but he's poorly so I'll get the bus, so yes, I'll be there",
        "I was worried it'd clash with my physio but that's Wednesday, so that's fine",
        "since it's only round the corner from my work, I'll just pop in, yeah",
        "I've been waiting ages for this so I'm definitely not missing it",
        "because I finish at twelve that day I can come straight over",
        "the thing is I've booked the day off for it already, so yes",
        "now that my daughter's back from holiday she can bring me, so I'll be there",
        "I wrote it on the calendar as soon as I got the letter, so I'll be there",
        "after what happened last time I'm making sure I'm there early",
        "even though it's a bit early for me I'll manage it", "although I hate coming in, I'll be there"],
    ("appointment", "confirm", "f5-regional"): [
        "yes o, I will come", "no wahala, I'll be there", "by God's grace I'll be there", "yes man, I'll reach",
        "aye, I'll manage that fine", "I will be coming, don't worry madam",
        "yes, I'll come, I'll take leave from office", "okay po, I will go", "yes, I'll attend po",
        "si, yes, I go to the appointment", "yes I will be there, is fine for me",
        "yeah, that's fine, I'll be there, innit", "wicked, I'll be there", "grand so, I'll see ye then",
        "sure I'll be down, no problem", "dat fine, me will come"],
    ("appointment", "confirm", "f5-elder"): [
        "oh yes, I'll be there, I don't go anywhere else these days", "I shall make my way there, yes",
        "yes, the hospital car is collecting me", "yes, I've told my carer, she'll bring me",
        "that's alright dear, I'll be there with my stick", "please God I'll be there", "yes, I'll come, put me down",
        "oh yes, I'll be waiting at the door for my lift"],
    ("appointment", "confirm", "f5-asr-runon"): [
        "ya ya thats fine ill come", "yeah thats grand ill be in then", "ok sound yeah I'll be their",
        "yes I'm gonna be there", "yeah gonna make it no problem", "yea ima be there",
        "i will come yes yes fine fine", "yeah dats fine fi me", "yes its fine for tuesday",
        "yeah kinda busy but I'll be there", "yep yep see you then bye"],
    ("appointment", "confirm", "f5-plus-question"): [
        "yes I'll come, will I need to fast?", "I'll be there, is it okay to bring my little one?",
        "yes, fine, will it be the same nurse?", "that's fine, do they still stamp the parking ticket?",
        "yeah I'll come, is it upstairs?", "I'll be there, remind me the address?"],
    ("appointment", "confirm", "f5-no-change"): [
        "I wouldn't miss it for the world", "no, no, I'm not cancelling, I'll be there",
        "no problem at all, I'll come", "I don't need to change anything, it's fine",
        "far as I know nothing's changed, so I'll come", "there's no problem with that date",
        "I've no reason not to come"],
    ("appointment", "reschedule", "f5-subordinate"): [
        "well the thing is my daughter drives me and she's working tuesday so could we do another day",
        "because my car's in the garage all that week I'd need a different day",
        "since they changed my shifts I'm on lates now, so the morning's no good",
        "I was going to say, we're flying out on the third, so could it be after we're back",
        "my physio's at the same time, so can you move it",
        "with the school holidays I've got the kids all week, could we do the week after",
        "I'd come but I've just had my knee done and can't drive for six weeks, so later please",
        "as much as I'd like to, I've got a funeral that morning",
        "seeing as I'm working till six every day that week, is there an evening",
        "the problem is the bus doesn't get there till after ten",
        "it's Eid that day so I won't be able to, another day please",
        "I'm fasting that week, could we do it after"],
    ("appointment", "reschedule", "f5-regional"): [
        "please abeg, change the date, I'll travel", "I no fit come that day, change it please",
        "no man, that day cyaan work", "och, I cannae make that, can we shift it",
        "I won't manage that day, can ye move it", "that date is not suiting me, kindly give another",
        "kindly postpone it by one week", "I can't po, can we move it", "no puedo that day, another day please",
        "I'm gonna be outta town, can we push it back", "can't do it that day bro, can we switch it",
        "I'll be at my mam's in Cork, can we change it"],
    ("appointment", "reschedule", "f5-asr"): [
        "i cant make it can we do a different day", "need to move it to next week", "I cant then got work",
        "can we push it back a weak", "is there any way to change it to the after noon",
        "I'll be away that weak can we change it"],
    ("appointment", "reschedule", "f5-no"): [
        "no I won't be able to, sorry", "nah I can't that day", "no dear, not that day", "no, not possible for me",
        "sorry, no can do", "I can't, sorry love", "no, I can't manage it", "no o, I no go fit"],
    ("appointment", "cancel", "f5-cancel"): [
        "I've been discharged so I won't be needing it",
        "the consultant said I don't need a follow up, so you can cancel it",
        "I got seen in A and E already so cancel that", "we're relocating back to Manila so please cancel",
        "abeg cancel it, I don't need it again", "since I've been feeling better I'd rather just cancel",
        "I'm not going to bother, you can cancel", "I'm on a waiting list at the hospital now so cancel this one",
        "kindly cancel my appointment", "cancel it, I'm going to see my own doctor", "cancel, por favor",
        "delete the appointment, I don't want it", "I'm going to give it a miss altogether",
        "the tooth came out by itself so no need now", "I've decided not to go ahead with the procedure, so cancel",
        "gonna cancel that one thanks", "cancel it, I'm not coming no more",
        "my insurance won't cover it so I'll cancel", "I don't want it anymore, please cancel it po",
        "I've thought about it and I'd rather not have it done, cancel please"],
    ("appointment", "callback_later", "f5-later"): [
        "I'm on the ward, I can't talk, ring me at tea time", "can you phone back in an hour, I'm on the school run",
        "I'm at mosque, call me after", "ring back after six, I'll have my diary",
        "I'm in a meeting, call me back later please", "call me later ya, I'm busy now"],
    ("appointment", "not_patient", "f5-relative"): [
        "it's his appointment not mine, I'm his wife", "I'm only the daughter, I'll have to ask her",
        "she's my mum, I'll pass it on when she's back", "I'm the carer, I'll make sure she gets there",
        "I'll tell my husband, it's for him", "that's for my son, I'm his dad"],
    ("appointment", "wrong_number", "f5-wrong"): [
        "what appointment? I've not booked anything with you, you've got the wrong person",
        "I'm not a patient there, never have been", "I've never been to that clinic in my life, wrong number",
        "you've got me mixed up with somebody else", "I'm not on your books at all, wrong number"],
    ("appointment", "opt_out", "f5-stop"): [
        "I've asked you before to stop calling me, please stop", "take me off your list, I don't want reminders",
        "I don't want any more of these calls, ever", "stop ringing my phone, I'll ring you",
        "please, no more automated calls to me"],
    ("appointment", "human", "f5-person"): [
        "can I speak to a proper person about this", "could you put me through to the reception, please",
        "I'd like to talk to the nurse directly", "let me talk to somebody at the front desk",
        "get me a human, this thing doesn't understand me"],
    ("appointment", "question", "f5-practical"): [
        "what do I need to bring with me", "is it with the same consultant as last time",
        "could you tell me which building it's in", "will I need to take my contact lenses out",
        "is it okay if I come in my work clothes", "can I take my tablets that morning as usual",
        "do I need to stop my blood thinners", "is it the one where they put the camera down",
        "will I be able to drive afterwards", "how long will I be there, roughly",
        "is there somewhere to leave my pram", "what's the postcode for the sat nav",
        "is the parking free or do I need change", "am I seeing the doctor or the nurse", "which door do I go to",
        "is it going to be a video call or in person", "I need to bring my passport or what?",
        "they will give me the result same day?"],
    ("appointment", "question", "f5-clarify"): [
        "sorry, which day did you say it was", "the fourteenth, is that a Monday?",
        "was that half past or quarter past",
        "is this the appointment I made on the phone last week", "did you say nine in the morning or evening",
        "wait, this month or next month", "what's it for again, I've forgotten",
        "which clinic is that for, the foot one?"],
    ("appointment", "unclear", "f5-unsure"): [
        "I honestly couldn't tell you right now", "that's a good question, I'm not sure",
        "I'm not sure yet, it all depends on the hospital", "possibly, I'll have to see", "mmm, maybe",
        "I'm not certain, my memory's not what it was", "I don't know what I'm doing that day yet",
        "hmm, I'll have to check the rota", "perhaps, perhaps not", "I cannot say for sure now",
        "I might, I might not", "it's hard to say with the kids",
        "not sure to be honest, everything's up in the air at work",
        "we'll see how it goes", "I don't know o"],
    ("appointment", "unclear", "f5-noise"): [
        "sorry, you're breaking up, what was that", "huh? say again, I'm on the motorway",
        "sorry, the kids were shouting, can you repeat it", "I didn't hear any of that, love",
        "you there? you went quiet", "hang on, I'm putting you on speaker",
        "sorry, I'm just getting off the bus, one second", "my English is small, please slowly",
        "ay sorry, what you said?", "the line's crackling, I only got half of that"],
    ("appointment", "unclear", "f5-offtopic"): [
        "my cat's just knocked something over, hold on", "I've just come out of work and I'm shattered",
        "I was just thinking about you lot actually", "the weather's awful here today", "I'm just making a cup of tea",
        "did I leave the gas on, hang on"],
    # ---- yes_no --------------------------------------------------------------------------------------------
    ("yes_no", "confirm", "f5-yes"): [
        "yes, please go ahead and do that", "yes o, do it", "aye, on ye go", "sure thing, that works",
        "yes please, that'll save me ringing", "okay po, yes", "yes na, go ahead",
        "oh yes, that would be a great help dear", "yea do that", "yes, sounds like a plan", "uh huh, go on then",
        "yes, I'd be grateful", "si, yes please", "yes man, go ahead", "that'll be fine, yes", "I suppose so, yes",
        "yeah why not, let's do it", "please do that for me, thank you"],
    ("yes_no", "confirm", "f5-yes-after-preamble"): [
        "I've been meaning to sort that out for ages, so yes please",
        "honestly that would make my life easier, yes", "since I'm on the phone now, yes, go ahead",
        "if it's no trouble, then yes please", "my daughter usually does all this but yes, I'm happy for you to do it",
        "as long as it's not a bother, yes"],
    ("yes_no", "unclear", "f5-no"): [
        "no, I'm alright for now", "no, leave it as it is", "no o, I'm fine", "no, thanks, I'm good", "naw, ah'm fine",
        "no thank you madam", "no po, thank you", "no, it's not necessary", "no, I'll manage", "no need, thanks anyway",
        "nope, nothing else", "no, that's fine as it is", "no gracias", "I'd rather not, thanks", "not today, thanks"],
    ("yes_no", "unclear", "f5-unsure"): [
        "I don't know, what do you think", "hmm, let me have a think", "I'm not really sure what you're asking",
        "can you explain that again", "I'm not sure, maybe", "sorry, I didn't catch the question"],
    ("yes_no", "question", "f5-q"): [
        "will it be the same front desk lady who rings", "how long until they call me",
        "would I get a text to confirm it", "what number would they call me on", "is there a charge for cancelling",
        "what happens if I say no"],
    ("yes_no", "cancel", "f5-cancel"): [
        "no, I want it cancelled instead", "cancel it please, I won't be going", "please cancel, I don't need it",
        "nah, scrap the whole appointment"],
    ("yes_no", "reschedule", "f5-move"): [
        "I'd rather find another day instead", "can you book me a different time instead",
        "rather than that, could I change the date", "move it, please, to next week"],
    ("yes_no", "callback_later", "f5-later"): [
        "ring me back tomorrow and I'll decide", "I'm at work, call me later",
        "I need to check with my wife, ring me tonight"],
    ("yes_no", "human", "f5-person"): [
        "just put me through to someone", "I want to speak to the front desk myself",
        "can I talk to an actual person about it"],
    ("yes_no", "opt_out", "f5-stop"): [
        "no, and please don't call me again", "no, and take my number off your list",
        "I don't want any more calls, that's my answer"],
    # ---- slot_choice ---------------------------------------------------------------------------------------
    ("slot_choice", "confirm", "f5-pick"): [
        "the half nine would be good", "I'll have the Wednesday one", "ooh the morning, before it gets hot",
        "the earlier, so I can go to work after", "stick me in the after-lunch one", "the Monday at four, please",
        "go on, the Friday", "the first is fine po", "I take the second, thank you", "make it the later one",
        "twelve fifteen is good", "the one at quarter to eleven", "third one please", "oh, the Thursday, definitely",
        "the one in the afternoon suits", "I'll go with whatever's soonest",
        "the earliest one is best, I want it over with",
        "second please, the first I'm at work", "could I get the first one please?",
        "could you book me into the Tuesday?"],
    ("slot_choice", "confirm", "f5-pick-preamble"): [
        "well I've got work in the morning so the afternoon one would be better",
        "since I drop the kids at nine, the half ten is perfect",
        "my husband's off on Friday so he can take me, the Friday please",
        "I've got physio on Monday so I'll take the Wednesday",
        "the bus only runs every hour so the eleven o'clock one please",
        "because of my dialysis the morning one won't work, so the later one",
        "hmm, Tuesday's bin day, not that it matters, I'll take Tuesday",
        "I can get a lift from my son on Thursday, so Thursday"],
    ("slot_choice", "confirm", "f5-regional-asr"): [
        "the furst one", "the secant one please", "tuesdy is good", "ill take the won at ten",
        "second one is ok for me only", "the morning one po", "de first one, yes", "aye the second yin"],
    ("slot_choice", "reschedule", "f5-decline"): [
        "none of those suit, I'm working all week", "I'm on holiday that whole week, anything after",
        "none of them, have you something in the evening", "is there nothing sooner than that",
        "could you look for something on a weekend instead", "those are all too early, I can't get there before ten",
        "have you got anything at all next month", "no, none, sorry, I need a later week",
        "those times no good, I work", "none of these, I'm in hospital then",
        "not any of them, my son can't drive me those days", "what about Thursday instead",
        "no, neither, I do school pickups then"],
    ("slot_choice", "question", "f5-q"): [
        "is the Wednesday one with the same doctor", "which of them is the shortest wait",
        "is the later one still before the clinic shuts", "are those all at the main hospital",
        "how long's the second one for", "can you tell me which one's with a nurse"],
    ("slot_choice", "unclear", "f5-unclear"): [
        "sorry, you said them too fast", "um, hang on, which was the first again", "hmm, I really don't know",
        "wait, let me check my calendar", "errr", "my mind's gone blank"],
    ("slot_choice", "cancel", "f5-cancel"): [
        "I don't want any of them, just cancel it", "none, I'll not bother, cancel the appointment",
        "you know what, let's just cancel"],
    ("slot_choice", "callback_later", "f5-later"): [
        "let me ask my husband and ring me back", "could you call me later with those, I'm driving",
        "ring back tomorrow, I'll have my diary"],
    ("slot_choice", "human", "f5-person"): [
        "I'd rather sort it with the front desk", "put me through to a person to pick"],
    ("slot_choice", "opt_out", "f5-stop"): [
        "no, and stop calling me about it", "take my number off your list please"],
    # ---- more, for identity safety and CV's weakest labels (unclear, question, wrong number) -----------------
    ("identity", "not_patient", "f5-yes-relay"): [
        "yes, this is the right number for her, she's at work", "yeah, she's my sister, she's not up yet",
        "yes, he lives here, but he has gone out", "yes, I'm sitting with her, she can't manage the phone",
        "yes, speaking on her behalf", "yeah, it's the right number, but I'm her mum",
        "yes, mum's right here but she's deaf, I'll talk for her",
        "yes, I'm the daughter, mum asked me to deal with you"],
    ("identity", "wrong_number", "f5-wrong-2"): [
        "she used to have this number, but not any more",
        "this number's been with me since the summer, I don't know them",
        "no, this is a takeaway, you've got a wrong number", "there's no patient here, this is an office"],
    ("appointment", "question", "f5-more"): [
        "do I have to pay anything for it", "will the doctor speak Spanish", "is it the blood test where I can't eat",
        "is there a ramp for my scooter"],
    ("appointment", "unclear", "f5-elder-lost"): [
        "I'm a bit muddled today, love", "I'll have to ask my son, he does my diary",
        "my head's all over the place this week", "oh dear, I don't know what to say",
        "I'm not really with it today, sorry"],
    ("slot_choice", "unclear", "f5-unclear-2"): [
        "there's a lot to take in", "ooh, decisions, decisions", "I'm trying to remember what I've got on"],
}


def asr_variant(text: str) -> str:
    """A spoken-ASR form: lower case, no punctuation, a filler in front (picked by a hash of the text)."""
    plain = re.sub(r"[^a-z0-9' ]+", " ", text.lower())
    plain = re.sub(r"\s+", " ", plain).strip()
    filler = FILLERS[zlib.crc32(text.encode()) % len(FILLERS)]
    return f"{filler} {plain}"


BATCHES = (FAMILIES, FAMILIES_2, FAMILIES_3, FAMILIES_4, FAMILIES_5)
assert sum(map(len, BATCHES)) == len(set().union(*BATCHES)), "a family name is reused across batches"


def _keys(text: str) -> set[str]:
    """The ways two replies count as the same text: as `agent.intents.classify` sees them (normalised), and as
    tests/agent/test_intents.py compares them (lower case, letters, digits and spaces only)."""
    from agent.intent_rules import normalize

    return {normalize(text), " ".join("".join(c for c in text.lower() if c.isalnum() or c == " ").split())}


def _heldout_keys() -> set[str]:
    """`_keys` of every reply of every held-out file present. Only compared against, never printed: a generated
    phrasing that happens to equal a held-out reply is left out of training (see `rows`), so no held-out reply
    is trained on by accident."""
    sys.path.insert(0, str(ROOT))
    out: set[str] = set()
    for path in sorted(OUT.parent.glob("intents_heldout*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out |= _keys(json.loads(line)["text"])
    return out


def all_rows() -> list[dict[str, str]]:
    """Every phrasing and its ASR form, before the held-out check."""
    out: list[dict[str, str]] = []
    for (context, intent, family), texts in [item for batch in BATCHES for item in batch.items()]:
        for i, text in enumerate(texts):
            fam = f"{context}/{intent}/{family}/{i}"
            out.append({"text": text, "intent": intent, "context": context, "family": fam})
            if len(text.split()) > 1:   # "um hmm" or "oh no" would change a one-word reply's meaning
                out.append({"text": asr_variant(text), "intent": intent, "context": context, "family": fam})
    return out


def rows() -> list[dict[str, str]]:
    """The training rows: `all_rows` less any that equals a held-out reply (`_keys`)."""
    heldout = _heldout_keys()
    return [r for r in all_rows() if not _keys(r["text"]) & heldout]


def main() -> None:
    data = rows()
    OUT.write_text("".join(json.dumps(r) + "\n" for r in data), encoding="utf-8")
    # Only the count of rows left out, never their texts.
    print(json.dumps({"rows": len(data), "dropped_as_heldout": len(all_rows()) - len(data), "file": str(OUT)}))


if __name__ == "__main__":
    main()
