"""The phone network's SIP side: every number behind one address, answering as its persona.

Incoming INVITEs are answered the way the called number's line does (`lines.Directory`); answered calls get
the persona's brain. REFER is accepted by placing the new call back into the network, as the patient's phone
would, so a transfer to a front-desk number lands on `FrontDeskBrain` where a test can see who arrived.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import pjsua2 as pj

from sim.sip_phone.brain import AwaitTurn, LineBrain, Pause, Say, ScriptedBrain, Step
from sim.sip_phone.lines import Directory, LinePlan, Timing, make_brain
from sim.sip_phone.ua import CallRecord, EndpointConfig, Leg, SipEndpoint, Voice, _iso, parse_request, uri_user


class PhoneNetworkUA(SipEndpoint):
    """Every number on the simulated phone network, behind one SIP address."""

    def __init__(self, config: EndpointConfig, voice: Voice, directory: Directory, *, timing: Timing = Timing(),
                 seed: int | str = 0, brain_factory: Callable[[LinePlan], LineBrain] | None = None) -> None:
        super().__init__(replace(config, route_to_self=True), voice)
        self.directory = directory
        self.timing = timing
        self.seed = seed
        self.brain_factory = brain_factory or (lambda plan: make_brain(plan, seed=seed, timing=timing))

    def on_incoming(self, prm: pj.OnIncomingCallParam) -> None:
        self._note_transfer_call_ids()
        ruri, headers = parse_request(prm.rdata.wholeMsg)
        called = uri_user(ruri) or uri_user(headers.get("to", ""))
        plan = self.directory.plan(called)
        call_id = headers.get("call-id", "")
        record = CallRecord(call_id=call_id, direction="inbound", number=plan.number,
                            caller=uri_user(headers.get("from", "")), persona=plan.persona, line=plan.kind,
                            call_number=plan.call_number)
        for leg in self.legs:   # our own transfer leg calling back into the network
            if leg.record.direction == "outbound" and leg.record.call_id == call_id:
                record.transferred_from = dict(leg.record.transferred_from or {})
        answers = plan.kind in ("person", "machine", "front_desk")
        leg = Leg(self, record, self.brain_factory(plan) if answers else None, prm.callId)
        self.legs.append(leg)
        t = self.timing
        if plan.kind == "busy":
            leg.after(t.busy_after, lambda: leg.respond(486))
            return
        leg.respond(180)
        if plan.kind == "reject":
            leg.after(t.reject_after, lambda: leg.respond(603))
        elif plan.kind == "no_answer":
            leg.after(t.ring_timeout, lambda: leg.respond(480))
        else:
            leg.after(t.machine_after if plan.kind == "machine" else t.answer_after, lambda: leg.respond(200))

    def on_transfer_request(self, leg: Leg, prm: pj.OnCallTransferRequestParam) -> None:
        """REFER from the caller (LiveKit's TransferSIPParticipant): accept it and place the new call into the
        network, as the patient's phone would, so a transfer to the front desk number reaches it."""
        refer_to = str(prm.dstUri)
        target = self.directory.network.normalize(uri_user(refer_to))
        prm.statusCode = 202    # PJSUA dials refer_to through our own address (EndpointConfig.route_to_self)
        leg.record.transfer = {"refer_to": refer_to, "target": target, "at": _iso(time.time())}
        record = CallRecord(call_id="", direction="outbound", number=target, caller=leg.record.number,
                            persona=leg.record.persona, line="outbound",
                            transferred_from={"number": leg.record.number, "call_id": leg.record.call_id})
        new = Leg(self, record, ScriptedBrain(_transferred_patient_steps(), max_seconds=self.timing.max_call))
        prm.newCall = new
        self.legs.append(new)

    def on_answered(self, leg: Leg) -> None:
        """The transfer target answered: end the transferred leg, as a carrier that carries out a REFER does once
        the new call is up (LiveKit SIP waits a second for this BYE before hanging up itself)."""
        origin = (leg.record.transferred_from or {}).get("call_id") if leg.record.direction == "outbound" else None
        for other in self.legs if origin else ():
            if other is not leg and other.record.call_id == origin and other.record.direction == "inbound":
                other.after(0.0, other.hang_up_now)

    def run(self, until: Callable[[], bool], step_ms: int = 5) -> None:
        def check() -> bool:
            self._note_transfer_call_ids()
            return until()
        super().run(check, step_ms)

    def _note_transfer_call_ids(self) -> None:
        for leg in self.legs:
            if leg.record.direction == "outbound" and not leg.record.call_id and leg.getId() != pj.PJSUA_INVALID_ID:
                try:
                    leg.record.call_id = leg.getInfo().callIdString
                except pj.Error:
                    continue
                for other in self.legs:
                    if other.record.transfer is not None and other.record.number == leg.record.caller \
                            and "new_call_id" not in other.record.transfer:
                        other.record.transfer["new_call_id"] = leg.record.call_id


def _transferred_patient_steps() -> list[Step]:
    """The patient after a transfer: waits for the front desk to speak, then says why they are there."""
    return [Pause(0.2), AwaitTurn(4.0), Say(text="Hi, the assistant transferred me about my appointment.")]
