//! Judgement on real bursts: `../shared/photos/realbursts` (real consecutive frames from public
//! videos with real blinks, a yawn, downcast eyes and motion; labels best / ok / reject). The
//! frames are evaluation data and never copied into the repository, so these tests run only
//! where the shared corpus is (always under CI).

mod common;

use std::collections::BTreeMap;

use bestpick_core::{
    Analysis, AnalyzeParams, CancelFlag, NoProgress, Strictness, Suggestion, analyze_files, cull,
    scan,
};
use common::corpus;

struct Frame {
    burst: String,
    label: String,
    suggestion: Suggestion,
}

/// Every frame of the set, analyzed with faces and culled as one flat shoot (the burst folders
/// do not matter to grouping: it goes by capture time and look).
fn realbursts() -> Option<Vec<Frame>> {
    let root = corpus()?.join("realbursts");
    let report = scan(&root).expect("scan");
    let results = std::sync::Mutex::new(vec![None; report.photos.len()]);
    let params = AnalyzeParams {
        faces: true,
        ..AnalyzeParams::default()
    };
    analyze_files(
        &report.photos,
        &params,
        &CancelFlag::new(),
        &NoProgress,
        |i, r| results.lock().expect("lock")[i] = Some(r.expect("analyzed").analysis),
    );
    let analyses: Vec<Option<Analysis>> = results.into_inner().expect("lock");
    let refs: Vec<Option<&Analysis>> = analyses.iter().map(Option::as_ref).collect();
    let names: Vec<&str> = report.photos.iter().map(|p| p.rel_path.as_str()).collect();
    let (suggestions, _) = cull(&refs, &names, Strictness::NORMAL);
    let truth = std::fs::read_to_string(root.join("truth.tsv")).expect("truth.tsv");
    let labels: BTreeMap<String, (String, String)> = truth
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            Some((
                format!("{}/{}", cols.first()?, cols.get(1)?),
                (cols[0].to_string(), cols.get(2)?.to_string()),
            ))
        })
        .collect();
    let frames: Vec<Frame> = names
        .iter()
        .zip(suggestions)
        .filter_map(|(name, s)| {
            let (burst, label) = labels.get(*name)?.clone();
            Some(Frame {
                burst,
                label,
                suggestion: s.expect("every frame is ranked"),
            })
        })
        .collect();
    assert_eq!(frames.len(), labels.len(), "every labelled frame analyzed");
    Some(frames)
}

#[test]
fn real_bursts_come_out_whole_and_apart() {
    let Some(frames) = realbursts() else { return };
    // Which predicted groups each burst falls into, and which bursts each group holds.
    let mut groups_of: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut bursts_of: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for f in &frames {
        groups_of.entry(&f.burst).or_default().push(f.suggestion.group);
        bursts_of.entry(f.suggestion.group).or_default().push(&f.burst);
    }
    for (burst, groups) in &groups_of {
        // One group per burst (b06 drifts as the camera pans; b04 and b08 move fast), and no
        // other burst in it (b02 and b03 are the same man, 2.4 s apart).
        assert!(
            groups.iter().all(|&g| g == groups[0]),
            "{burst} split: {groups:?}"
        );
        assert!(
            bursts_of[&groups[0]].iter().all(|b| b == burst),
            "{burst} merged with {:?}",
            bursts_of[&groups[0]]
        );
    }
    assert_eq!(bursts_of.len(), 10);
}
