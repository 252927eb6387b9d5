"""A data.police.uk client from PyPI (police-api-client 1.2.2) pointed at
feedmap's /police-api/: reads the forces, each force's neighbourhoods,
each neighbourhood, its boundary, its people (officers), priorities and
events, and the neighbourhood at a point, without an error. Run by tests/police_api.rs:

    python police_api_client.py BASE_URL LAT LON

Prints one line of counts; exits non-zero on the first error.
"""

import sys

from police_api import PoliceAPI

base, lat, lon = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
api = PoliceAPI(base_url=base.rstrip("/") + "/police-api/")
forces = api.get_forces()
assert forces, "no force"
hoods = points = officers = priorities = 0
for force in forces:
    assert force.name, force.id
    for n in force.neighbourhoods:
        # Reading an attribute fetches the neighbourhood itself.
        assert n.name and n.url_force is not None, n.id
        assert isinstance(n.contact_details, dict), n.id
        boundary = n.boundary
        assert len(boundary) >= 3, (n.id, len(boundary))
        points += len(boundary)
        assert n.events == [], (n.id, n.events)
        for o in n.officers:
            assert o.name and isinstance(o.contact_details, dict), (n.id, o.name)
            officers += 1
        for p in n.priorities:
            # The client parses both dates (action_date may be None).
            assert p.issue and p.issue_date.year > 2000, (n.id, p.issue)
            assert p.action_date is None or p.action_date >= p.issue_date, (n.id, p.issue)
            priorities += 1
        hoods += 1
located = api.locate_neighbourhood(lat, lon)
assert located is not None and located.name, "nothing located"
print(
    f"forces={len(forces)} neighbourhoods={hoods} boundary_points={points} "
    f"officers={officers} priorities={priorities} located={located.id}"
)
