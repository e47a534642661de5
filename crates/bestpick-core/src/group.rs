//! Grouping bursts and near-duplicates: frames taken close together in time that look alike
//! go together. One knob, strict ↔ loose, sets how alike and how close. Deterministic: the same
//! input always gives the same groups.

use serde::{Deserialize, Serialize};

use crate::signals::similarity;

/// How eager grouping is: 0 = loose (group more), 100 = strict (group only near-identical
/// frames shot in quick succession). 50 is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Strictness(pub u8);

impl Default for Strictness {
    fn default() -> Self {
        Strictness(50)
    }
}

impl Strictness {
    /// The named presets.
    pub const STRICT: Strictness = Strictness(80);
    /// The default.
    pub const NORMAL: Strictness = Strictness(50);
    /// Groups more.
    pub const LOOSE: Strictness = Strictness(20);

    fn level(self) -> f32 {
        f32::from(self.0.min(100)) / 100.0
    }

    /// Minimum similarity of consecutive frames of one burst.
    pub fn burst_similarity(self) -> f32 {
        0.50 + 0.45 * self.level()
    }

    /// Largest time gap between consecutive frames of one burst, in milliseconds.
    pub fn burst_gap_ms(self) -> i64 {
        let loose = 1.0 - self.level();
        (1000.0 + 29_000.0 * loose * loose) as i64
    }
}

/// One photo as grouping sees it.
#[derive(Debug, Clone, Copy)]
pub struct GroupItem<'a> {
    /// Capture time in milliseconds, when known.
    pub time_ms: Option<i64>,
    /// Tie-breaker and order for photos without a time (the relative path).
    pub name: &'a str,
    /// Visual descriptor (see [`crate::signals::Signals::descriptor`]).
    pub descriptor: &'a [i8],
}

/// A group of photos, indices into the input, in shooting order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Group number, 1-based, in shooting order.
    pub id: usize,
    /// Member indices into the grouped items.
    pub members: Vec<usize>,
}

/// How many earlier frames a frame is compared with to find near-duplicates that are not
/// adjacent (someone stepped into the frame between two takes).
const LOOKBACK: usize = 6;

/// Groups `items`. Frames are put in shooting order (time, then name; frames without a time
/// follow in name order), then each frame joins the group of an earlier frame when it is close
/// in time and similar, checked against that group's first frame too so a slow pan does not
/// chain a whole shoot together.
pub fn group(items: &[GroupItem<'_>], strictness: Strictness) -> Vec<Group> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| {
        let (ta, tb) = (items[a].time_ms, items[b].time_ms);
        match (ta, tb) {
            (Some(x), Some(y)) => x.cmp(&y).then_with(|| items[a].name.cmp(items[b].name)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => items[a].name.cmp(items[b].name),
        }
    });
    let t_burst = strictness.burst_similarity();
    let t_anchor = t_burst - 0.15;
    let t_dup = (t_burst + 0.08).min(0.99);
    let gap = strictness.burst_gap_ms();
    // Group of each position in `order`, and each group's first position.
    let mut group_of: Vec<usize> = Vec::with_capacity(order.len());
    let mut anchors: Vec<usize> = Vec::new();
    for pos in 0..order.len() {
        let cur = &items[order[pos]];
        let mut joined = None;
        for back in 1..=LOOKBACK.min(pos) {
            let prev_pos = pos - back;
            let prev = &items[order[prev_pos]];
            let dt = match (cur.time_ms, prev.time_ms) {
                (Some(a), Some(b)) => Some((a - b).abs()),
                _ => None,
            };
            // The previous frame shot moments before needs only burst similarity; anything
            // further away must be a near-duplicate.
            let need = match dt {
                Some(d) if d > gap * 4 => break, // earlier frames are further away still
                Some(d) if back == 1 && d <= gap => t_burst,
                Some(_) => t_dup,
                None if cur.time_ms.is_none() && prev.time_ms.is_none() => {
                    if back == 1 {
                        t_burst
                    } else {
                        t_dup
                    }
                }
                None => continue,
            };
            let g = group_of[prev_pos];
            let anchor = &items[order[anchors[g]]];
            if similarity(cur.descriptor, prev.descriptor) >= need
                && similarity(cur.descriptor, anchor.descriptor) >= t_anchor
            {
                joined = Some(g);
                break;
            }
        }
        match joined {
            Some(g) => group_of.push(g),
            None => {
                group_of.push(anchors.len());
                anchors.push(pos);
            }
        }
    }
    let mut groups: Vec<Group> = (0..anchors.len())
        .map(|g| Group {
            id: g + 1,
            members: Vec::new(),
        })
        .collect();
    for (pos, &g) in group_of.iter().enumerate() {
        groups[g].members.push(order[pos]);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(seed: u32) -> Vec<i8> {
        // A smooth pseudo-random layout per seed.
        let mut v: Vec<i8> = (0..256u32)
            .map(|i| {
                let x = (i % 16) as f32;
                let y = (i / 16) as f32;
                let s = seed as f32;
                ((x * (0.3 + s * 0.17)).sin() * 40.0 + (y * (0.2 + s * 0.11)).cos() * 40.0) as i8
            })
            .collect();
        v.extend(std::iter::repeat_n(0i8, 32));
        v
    }

    #[test]
    fn bursts_split_on_time_and_look() {
        let a = desc(1);
        let b = desc(7);
        let items = [
            GroupItem {
                time_ms: Some(0),
                name: "1",
                descriptor: &a,
            },
            GroupItem {
                time_ms: Some(100),
                name: "2",
                descriptor: &a,
            },
            GroupItem {
                time_ms: Some(200),
                name: "3",
                descriptor: &b,
            }, // new scene
            GroupItem {
                time_ms: Some(300),
                name: "4",
                descriptor: &b,
            },
            GroupItem {
                time_ms: Some(600_000),
                name: "5",
                descriptor: &b,
            }, // ten minutes later
            GroupItem {
                time_ms: None,
                name: "6",
                descriptor: &a,
            },
            GroupItem {
                time_ms: None,
                name: "7",
                descriptor: &a,
            },
        ];
        let groups = group(&items, Strictness::NORMAL);
        let members: Vec<Vec<usize>> = groups.iter().map(|g| g.members.clone()).collect();
        assert_eq!(members, vec![vec![0, 1], vec![2, 3], vec![4], vec![5, 6]]);
        assert_eq!(
            groups.iter().map(|g| g.id).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
    }

    #[test]
    fn grouping_is_deterministic_whatever_the_input_order() {
        let a = desc(1);
        let items: Vec<GroupItem<'_>> = (0..5)
            .map(|i| GroupItem {
                time_ms: Some(i * 100),
                name: "x",
                descriptor: &a,
            })
            .collect();
        let mut rev = items.clone();
        rev.reverse();
        let g1 = group(&items, Strictness::NORMAL);
        let g2 = group(&rev, Strictness::NORMAL);
        assert_eq!(g1.len(), 1);
        assert_eq!(g2.len(), 1);
    }
}
