//! The data.police.uk-compatible endpoints (`/police-api/`) answer in
//! data.police.uk's documented shapes: the fixtures below are written from
//! the response examples of its API documentation (Leicestershire's City
//! Centre, the Metropolitan Police's locate-neighbourhood answer), and every
//! answer must have the same keys with the same JSON types. Its errors are
//! its own: a 404 with an empty body.

use crate::common;

use crate::common::Server;
use serde_json::{json, Value};

/// data.police.uk's documented answers, by endpoint.
fn fixtures() -> Vec<(&'static str, Value)> {
    vec![
        (
            "forces",
            json!([
                { "id": "avon-and-somerset", "name": "Avon and Somerset Constabulary" },
                { "id": "leicestershire", "name": "Leicestershire Police" }
            ]),
        ),
        (
            "force",
            json!({
                "description": "<p>Leicestershire Police covers Leicester, Leicestershire and Rutland.</p>",
                "url": "http://www.leics.police.uk/",
                "engagement_methods": [
                    { "url": "http://www.facebook.com/leicspolice", "description": "<p>Force Facebook page</p>", "title": "Facebook" },
                    { "url": "http://www.twitter.com/leicspolice", "description": null, "title": "Twitter" }
                ],
                "telephone": "101",
                "id": "leicestershire",
                "name": "Leicestershire Police"
            }),
        ),
        (
            "neighbourhoods",
            json!([
                { "id": "NC04", "name": "City Centre" },
                { "id": "NC66", "name": "Cultural Quarter" }
            ]),
        ),
        (
            "neighbourhood",
            json!({
                "url_force": "http://www.leics.police.uk/local-policing/city-centre",
                "contact_details": {
                    "twitter": "http://www.twitter.com/centralleicsNPA",
                    "facebook": "http://www.facebook.com/leicspolice",
                    "telephone": "101",
                    "email": "centralleicester.npa@leicestershire.pnn.police.uk"
                },
                "name": "City Centre",
                "links": [
                    { "url": "http://www.leicester.gov.uk/", "description": null, "title": "Leicester City Council" }
                ],
                "centre": { "latitude": "52.6389", "longitude": "-1.13619" },
                "locations": [
                    {
                        "name": "Mansfield House", "longitude": null, "postcode": "LE1 3GG",
                        "address": "74 Belgrave Gate\n, Leicester", "latitude": null,
                        "type": "station", "description": null
                    }
                ],
                "description": "<p>The Castle neighbourhood is a diverse covering all of the City Centre.</p>",
                "id": "NC04",
                "population": "0"
            }),
        ),
        (
            "boundary",
            json!([
                { "latitude": "52.6394052587", "longitude": "-1.1458618876" },
                { "latitude": "52.6389452755", "longitude": "-1.1457057759" }
            ]),
        ),
        (
            "people",
            json!([
                {
                    "bio": "<p>Sergeant Whitehouse leads the City Centre team.</p>",
                    "contact_details": { "email": "citycentre.npa@leicestershire.pnn.police.uk", "telephone": "101" },
                    "name": "Sergeant Daniel Whitehouse",
                    "rank": "Sergeant"
                }
            ]),
        ),
        (
            "priorities",
            json!([
                {
                    "action": null,
                    "issue-date": "2010-10-04T23:00:00",
                    "action-date": null,
                    "issue": "<p>To reduce the amount of anti-social behaviour in the city centre.</p>"
                }
            ]),
        ),
        (
            "locate",
            json!({ "force": "metropolitan", "neighbourhood": "00BK17N" }),
        ),
    ]
}

fn fixture(name: &str) -> Value {
    fixtures()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
        .unwrap()
}

/// The keys data.police.uk's `contact_details` may carry (each a string,
/// present only when filled).
const CONTACT_KEYS: &[&str] = &[
    "email",
    "telephone",
    "mobile",
    "fax",
    "web",
    "address",
    "facebook",
    "twitter",
    "youtube",
    "myspace",
    "bebo",
    "flickr",
    "google-plus",
    "forum",
    "e-messaging",
    "rss",
];

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Checks that `ours` has `want`'s shape: the same keys (plus the named
/// `extra` ones, and for `contact_details` any subset of its documented
/// keys), the same JSON types (a documented string may be null and the
/// other way round: data.police.uk gives null for any string it lacks),
/// every array element shaped like the documented first one.
fn same_shape(want: &Value, ours: &Value, at: &str, extra: &[&str], problems: &mut Vec<String>) {
    let nullable_string = matches!(
        (want, ours),
        (Value::Null, Value::String(_)) | (Value::String(_), Value::Null)
    );
    if kind(want) != kind(ours) && !nullable_string {
        problems.push(format!(
            "{at}: {} where data.police.uk has {}",
            kind(ours),
            kind(want)
        ));
        return;
    }
    match (want, ours) {
        (Value::Object(w), Value::Object(o)) if at.ends_with(".contact_details") => {
            for (k, v) in o {
                if !CONTACT_KEYS.contains(&k.as_str()) {
                    problems.push(format!("{at}.{k}: not a data.police.uk contact key"));
                }
                if !v.is_string() {
                    problems.push(format!("{at}.{k}: {} where a string is due", kind(v)));
                }
            }
            assert!(w.keys().all(|k| CONTACT_KEYS.contains(&k.as_str())));
        }
        (Value::Object(w), Value::Object(o)) => {
            for k in w.keys() {
                if !o.contains_key(k) {
                    problems.push(format!("{at}.{k}: missing"));
                }
            }
            for (k, v) in o {
                match w.get(k) {
                    Some(wv) => same_shape(wv, v, &format!("{at}.{k}"), &[], problems),
                    None if extra.contains(&k.as_str()) => {}
                    None => problems.push(format!("{at}.{k}: not in data.police.uk's shape")),
                }
            }
        }
        (Value::Array(w), Value::Array(o)) => {
            if let Some(first) = w.first() {
                for (i, v) in o.iter().enumerate() {
                    same_shape(first, v, &format!("{at}[{i}]"), extra, problems);
                }
            }
        }
        _ => {}
    }
}

pub(crate) fn assert_shape(name: &str, ours: &Value, extra: &[&str]) {
    let mut problems = Vec::new();
    same_shape(&fixture(name), ours, name, extra, &mut problems);
    assert!(problems.is_empty(), "{name}: {problems:#?}\n{ours:#}");
}

/// A raw GET: status and body text (to see that a 404's body is empty).
fn raw(base: &str, path: &str) -> (u16, String) {
    let r = reqwest::blocking::get(format!("{base}{path}")).unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

#[test]
fn the_comparator_catches_a_changed_shape() {
    let mut problems = Vec::new();
    let mut changed = fixture("neighbourhood");
    changed["population"] = json!(0);
    changed.as_object_mut().unwrap().remove("links");
    changed["contact_details"]["instagram"] = json!("https://instagram.example/x");
    changed["added"] = json!(1);
    same_shape(
        &fixture("neighbourhood"),
        &changed,
        "neighbourhood",
        &[],
        &mut problems,
    );
    assert_eq!(problems.len(), 4, "{problems:#?}");
    problems.clear();
    same_shape(
        &fixture("neighbourhood"),
        &fixture("neighbourhood"),
        "neighbourhood",
        &[],
        &mut problems,
    );
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn demo_answers_in_data_police_uk_shapes() {
    let server = Server::start(&common::demo_region());
    let base = format!("{}/police-api", server.base);
    let get = |path: &str| -> Value {
        let (status, text) = raw(&base, path);
        assert_eq!(status, 200, "{path}: {text}");
        serde_json::from_str(&text).unwrap()
    };
    let forces = get("/forces");
    assert_shape("forces", &forces, &[]);
    assert_eq!(
        forces,
        json!([{ "id": "dogger-vale", "name": "Dogger Vale Police" }])
    );

    let force = get("/forces/dogger-vale");
    assert_shape("force", &force, &[]);
    assert_eq!(force["telephone"], "101");
    // The force-wide feeds are its engagement methods.
    let titles: Vec<&str> = force["engagement_methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Twitter", "Facebook"]);
    // data.police.uk's force ids are matched whatever their case.
    assert_eq!(get("/forces/Dogger-Vale")["id"], "dogger-vale");

    let hoods = get("/dogger-vale/neighbourhoods");
    assert_shape("neighbourhoods", &hoods, &[]);
    let hoods = hoods.as_array().unwrap();
    assert_eq!(hoods.len(), 8);

    // Every neighbourhood: its shape, its contact details from its own
    // active feeds, its boundary, and locate-neighbourhood at its centre.
    let feeds = common::call(&server.base, "GET", "/v1/feeds", None, None, &[]).json;
    let feeds = feeds["feeds"].as_array().unwrap();
    let mut community_feeds = 0;
    for h in hoods {
        let id = h["id"].as_str().unwrap();
        let n = get(&format!("/dogger-vale/{id}"));
        assert_shape("neighbourhood", &n, &["feedmap"]);
        assert_eq!(n["name"], h["name"]);
        assert_eq!(
            n["url_force"],
            format!("https://www.doggervale.police.example/area/{id}")
        );
        let own: Vec<&Value> = feeds
            .iter()
            .filter(|f| f["area_id"] == id && f["status"] == "active")
            .collect();
        for platform in ["x", "facebook"] {
            let key = if platform == "x" { "twitter" } else { platform };
            let first = own.iter().find(|f| f["platform"] == platform);
            assert_eq!(
                n["contact_details"].get(key),
                first.map(|f| &f["url"]),
                "{id} {key}"
            );
        }
        assert_eq!(
            n["feedmap"]["neighbourhood_feeds"]
                .as_array()
                .unwrap()
                .len(),
            own.len(),
            "{id}"
        );
        for cf in n["feedmap"]["community_feeds"].as_array().unwrap() {
            let f = feeds
                .iter()
                .find(|f| f["feed_id"] == cf["feed_id"])
                .unwrap();
            assert_eq!(f["status"], "active", "{cf}");
            assert_eq!(f["layer"], "communities", "{cf}");
            community_feeds += 1;
        }
        let b = get(&format!("/dogger-vale/{id}/boundary"));
        assert_shape("boundary", &b, &[]);
        let b = b.as_array().unwrap();
        assert!(
            b.len() >= 4 && b.first() == b.last(),
            "{id}: ring not closed"
        );

        let c = &n["centre"];
        let q = format!(
            "/locate-neighbourhood?q={},{}",
            c["latitude"].as_str().unwrap(),
            c["longitude"].as_str().unwrap()
        );
        let located = get(&q);
        assert_shape("locate", &located, &[]);
        assert_eq!(
            located,
            json!({ "force": "dogger-vale", "neighbourhood": id })
        );
    }
    assert!(community_feeds > 0, "no community feed listed anywhere");

    // data.police.uk's errors: 404 with an empty body.
    for path in [
        "/forces/leicestershire",
        "/leicestershire/neighbourhoods",
        "/leicestershire/DV01",
        "/dogger-vale/NC04",
        "/dogger-vale/NC04/boundary",
        "/locate-neighbourhood?q=51.5,-0.12",
        // Parameters data.police.uk ignores are ignored: a cache-buster,
        // a campaign tag.
        "/locate-neighbourhood?q=51.5,-0.12&_=1733580000&utm_source=council",
    ] {
        let (status, body) = raw(&base, path);
        assert_eq!((status, body.as_str()), (404, ""), "{path}");
    }
    // A malformed q is the caller's error, said as a problem.
    for q in ["", "?q=", "?q=abc", "?q=91,0", "?q=52.6", "?q=52.6&_=123"] {
        let (status, body) = raw(&base, &format!("/locate-neighbourhood{q}"));
        assert_eq!(status, 400, "{q}: {body}");
        let p: Value = serde_json::from_str(&body).unwrap();
        assert!(
            p["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{q}: {p}"
        );
    }
}

#[test]
fn a_region_without_a_force_lists_none() {
    let dir = common::region_dir(
        &std::fs::read_to_string(common::demo_region().join("region.toml"))
            .unwrap()
            .split("\n[postcodes]")
            .next()
            .unwrap()
            .replace(
                "file = \"",
                &format!("file = \"{}/", common::demo_region().display()),
            ),
    );
    let server = Server::start(dir.path());
    let base = format!("{}/police-api", server.base);
    assert_eq!(raw(&base, "/forces"), (200, "[]".into()));
    assert_eq!(
        raw(&base, "/locate-neighbourhood?q=54.8,2.1"),
        (404, "".into())
    );
}

#[test]
fn bad_force_sections_are_refused_by_name() {
    for (force, says) in [
        ("id = \"Greater Manchester\"\nname = \"GMP\"", "[force].id"),
        ("id = \"forces\"\nname = \"GMP\"", "[force].id"),
        ("id = \"gmp\"\nname = \" \"", "[force].name"),
        (
            "id = \"gmp\"\nname = \"GMP\"\nneighbourhood_url = \"https://x.example/\"",
            "{id}",
        ),
        ("id = \"gmp\"\nname = \"GMP\"\nphone = \"101\"", "phone"),
    ] {
        let text = format!(
            "name = \"x\"\n[[layers]]\nid = \"n\"\nrole = \"neighbourhood\"\nfile = \"n.geojson\"\n\n[force]\n{force}\n"
        );
        let e = feedmap::Manifest::parse(&text, std::path::Path::new("region.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("region.toml") && e.contains(says),
            "{force}: {e}"
        );
    }
}

/// On the real Trafford data: every postcode's locate-neighbourhood
/// answer is the neighbourhood `/v1/feeds/lookup` gives the same point,
/// and each locality's contact details are its own feeds.
#[test]
#[cfg_attr(
    feedmap_no_gm_data,
    ignore = "needs the GM data: set FEEDMAP_DATA or put it at ../shared/data/gm"
)]
fn trafford_postcodes_locate_their_locality() {
    let Some(data) = common::gm_data("trafford_postcodes_locate_their_locality") else {
        return;
    };
    let dir = common::gm_feeds_region(&data);
    let manifest = dir.path().join("region.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str("\n[force]\nid = \"greater-manchester\"\nname = \"Greater Manchester Police\"\n");
    std::fs::write(&manifest, text).unwrap();
    let region = feedmap::Source::load(dir.path()).unwrap();
    let served = feedmap::Served::without_store(region);
    let view = served.today();
    let mut located = 0;
    for pc in common::postcodes(&data) {
        let p = feedmap::LatLon::new(pc.lat, pc.lon).unwrap();
        let want = view
            .resolve(p)
            .neighbourhoods
            .first()
            .map(|at| view.region().layers[at.layer].areas[at.area].id.clone());
        let got = feedmap::police_api::locate(view.region(), p).map(|l| l.neighbourhood);
        assert_eq!(got, want, "{}", pc.postcode);
        located += usize::from(got.is_some());
    }
    assert!(located > 11_000, "only {located} postcodes located");
    for loc in ["North", "Central", "South", "West"] {
        let n = feedmap::police_api::neighbourhood(
            view.region(),
            view.feeds(),
            "greater-manchester",
            loc,
        )
        .unwrap();
        assert_eq!(
            n.contact_details.twitter.as_deref(),
            Some(format!("https://x.example/GMPTrafford{loc}").as_str())
        );
        assert_eq!(
            n.contact_details.facebook.as_deref(),
            Some(format!("https://facebook.example/GMPTrafford{loc}").as_str())
        );
        // The wards it holds most of bring their X feeds (Bowdon's is
        // only planned, so never listed).
        assert!(!n.feedmap.community_feeds.is_empty(), "{loc}");
        assert!(n
            .feedmap
            .community_feeds
            .iter()
            .all(|f| f.area_name != "Bowdon" || f.layer != "wards"));
    }
}

/// A data.police.uk client from PyPI — police-api-client 1.2.2, `.ci/run`
/// installs it and names its Python in `FEEDMAP_CI_PYTHON` — reads the
/// demo's forces, neighbourhoods, each neighbourhood, boundary, people,
/// priorities and events through `/police-api/` without an error
/// (`tests/python/police_api_client.py`), after planners published two
/// contacts and two priorities for DV01; a cache-buster is ignored and an
/// unknown path is data.police.uk's empty 404.
#[test]
fn a_data_police_uk_client_from_pypi_reads_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = common::tokens_file(dir.path());
    let server = common::Server::start_with(
        &common::demo_region(),
        &["--tokens", tokens.to_str().unwrap()],
    );
    let page = "/v1/neighbourhoods/neighbourhoods/DV01";
    common::planner_write(
        &server.base,
        "PUT",
        &format!("{page}/people"),
        &json!({ "people": [
            { "name": "PC Sam Ahmed", "rank": "Police Constable", "bio": "Walks the Marlow Fen beat.", "contact_details": { "email": "marlow.team@police.example" } },
            { "name": "PCSO Jo Price", "contact_details": { "telephone": "101" } }
        ] }),
    );
    common::planner_write(
        &server.base,
        "PUT",
        &format!("{page}/priorities"),
        &json!({ "priorities": [
            { "issue": "Speeding on Fen Road", "issue_date": "2026-09-01", "action": "Speed checks", "action_date": "2026-10-15" },
            { "issue": "Bike theft", "issue_date": "2026-06-01" }
        ] }),
    );
    let base = format!("{}/police-api", server.base);
    let (status, body) = raw(&base, "/forces?_=1733580000&utm_source=council");
    assert_eq!(status, 200, "{body}");
    for path in [
        "/no/such/path",
        "/dogger-vale/DV01/crimes",
        "/forces/dogger-vale/extra",
    ] {
        let (status, body) = raw(&base, path);
        assert_eq!((status, body.as_str()), (404, ""), "{path}");
    }
    let (status, body) = raw(&base, "/dogger-vale/DV01/events");
    assert_eq!((status, body.as_str()), (200, "[]"));
    let Some(python) = common::ci_tool(
        "FEEDMAP_CI_PYTHON",
        "a_data_police_uk_client_from_pypi_reads_the_demo",
        "a Python with police-api-client 1.2.2: pip install police-api-client==1.2.2",
    ) else {
        return;
    };
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/police_api_client.py");
    let said = common::run_tool(
        &python,
        &[
            script.as_os_str(),
            server.base.as_ref(),
            "54.79".as_ref(),
            "2.07".as_ref(),
        ],
    );
    println!("{said}");
    assert!(
        said.contains("forces=1 neighbourhoods=8") && said.contains("officers=2 priorities=2"),
        "{said}"
    );
}
