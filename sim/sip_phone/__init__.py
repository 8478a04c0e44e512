"""The simulated phone network over real SIP: a user agent per called number acting its persona, and the
clinic's front desk. Run it with `python -m sim.sip_phone`; start it from tests with `running_phone`."""
