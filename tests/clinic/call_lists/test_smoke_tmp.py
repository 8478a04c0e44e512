from tests.clinic.call_lists.conftest import appointments

def test_smoke(run_import, conn):
    r = run_import("external_id,patient_name,phone,appointment_start\r\nA1,José García,(212) 555-0142,2027-03-03 14:30\r\n\r\nA2,Bob,xx,03/03/2027 2:30 PM\r\n")
    print(r.to_json())
    print(appointments(conn))
    r = run_import("external_id,patient_name,phone,appointment_start\r\nA1,José García,(212) 555-0142,2027-03-03 14:30\r\n\r\nA2,Bob,xx,03/03/2027 2:30 PM\r\n")
    print(r.to_json())
    assert 0
