//! Where a region's settlements lie in one neighbourhood × community
//! layer pair: the residential points each holds, counted once, before
//! any parameter is known (part of the plan's groundwork).

use feedmap_geography::boundary::Layer;
use feedmap_geography::settlements::Settlements;

/// Share of a community's points (or a settlement's) that makes it lie
/// wholly in the other.
pub(crate) const WHOLLY: f64 = 0.9;

/// Where the settlements lie in one neighbourhood × community layer pair,
/// counted in residential points (parameter-independent groundwork).
#[derive(Debug, Default)]
pub struct Sites {
    /// Per neighbourhood area: residential points inside it.
    pub hood_points: Vec<u32>,
    /// Per community area: residential points inside it.
    pub community_points: Vec<u32>,
    /// Per settlement: (neighbourhood, points) with points there.
    pub hoods: Vec<Vec<(u32, u32)>>,
    /// Per settlement: (community, points) with points there, by community.
    pub communities: Vec<Vec<(u32, u32)>>,
    /// Per neighbourhood: the settlements with points in it, ascending.
    pub in_hood: Vec<Vec<u32>>,
}

impl Sites {
    /// Counts every residential point in the two layers (the first area
    /// holding it, by the lookup's boundary rule).
    pub fn compute(settlements: &Settlements, hoods: &Layer, comms: &Layer) -> Sites {
        let res = &settlements.residential;
        let n = settlements.list.len();
        let mut out = Sites {
            hood_points: vec![0; hoods.areas.len()],
            community_points: vec![0; comms.areas.len()],
            hoods: vec![Vec::new(); n],
            communities: vec![Vec::new(); n],
            in_hood: vec![Vec::new(); hoods.areas.len()],
        };
        let first = |l: &Layer, p: feedmap_geography::LatLon, found: &mut Vec<usize>| {
            l.index.locate_into(&l.areas, p.lon, p.lat, found);
            found.first().map(|&a| a as u32)
        };
        let bump = |v: &mut Vec<(u32, u32)>, a: u32| match v.binary_search_by_key(&a, |e| e.0) {
            Ok(i) => v[i].1 += 1,
            Err(i) => v.insert(i, (a, 1)),
        };
        let mut found = Vec::new();
        for (i, &p) in res.points.iter().enumerate() {
            let h = first(hoods, p, &mut found);
            let c = first(comms, p, &mut found);
            if let Some(h) = h {
                out.hood_points[h as usize] += 1;
            }
            if let Some(c) = c {
                out.community_points[c as usize] += 1;
            }
            let Some(s) = settlements.of_point[i] else {
                continue;
            };
            if let Some(h) = h {
                bump(&mut out.hoods[s as usize], h);
            }
            if let Some(c) = c {
                bump(&mut out.communities[s as usize], c);
            }
        }
        for (s, hs) in out.hoods.iter().enumerate() {
            for &(h, _) in hs {
                out.in_hood[h as usize].push(s as u32);
            }
        }
        out
    }
}
