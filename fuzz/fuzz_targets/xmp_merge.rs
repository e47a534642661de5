//! The XMP sidecar merge: an arbitrary existing sidecar, a decision merged into it. A merge
//! that succeeds must give a sidecar that parses again, carries the decision, and is left as
//! it is by the same merge done again.
#![no_main]

mod common;

use bestpick_catalog::xmp::{
    SidecarNaming, XmpValues, darktable_label_index, lightroom_label, parse_sidecar, render_sidecar,
};
use bestpick_catalog::{ColorLabel, Decision, Flag};
use libfuzzer_sys::fuzz_target;

const DATE: &str = "2024-05-01T12:34:56Z";

fuzz_target!(|data: &[u8]| {
    common::init();
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let decision = Decision {
        flag: [Flag::None, Flag::Pick, Flag::Reject][usize::from(choice % 3)],
        stars: (choice >> 2) % 6,
        label: [None, Some(ColorLabel::Red), Some(ColorLabel::Purple)]
            [usize::from((choice >> 5) % 3)],
        updated_at_ms: 0,
    };
    let naming = if choice & 0x80 == 0 {
        SidecarNaming::Adobe
    } else {
        SidecarNaming::Darktable
    };
    let values = XmpValues::from(&decision);
    // The writer refuses a sidecar that is not UTF-8; a lossy copy reaches the merge more often.
    let text = String::from_utf8_lossy(rest);
    let _ = parse_sidecar(&text);
    let Ok(merged) = render_sidecar(Some(&text), &values, naming, DATE) else {
        return;
    };
    let read = parse_sidecar(&merged).expect("a merged sidecar parses again");
    assert_eq!(read.rating, Some(values.rating), "rating");
    assert_eq!(
        read.label.as_deref(),
        values.label.map(lightroom_label),
        "label"
    );
    assert_eq!(read.metadata_date.as_deref(), Some(DATE), "date");
    assert_eq!(read.pick_label, Some(values.pick_label()), "pick label");
    if naming == SidecarNaming::Darktable {
        let want = values.label.map(|l| vec![darktable_label_index(l)]);
        assert_eq!(read.darktable_colorlabels, want, "darktable labels");
    }
    let again = render_sidecar(Some(&merged), &values, naming, DATE)
        .expect("a merged sidecar merges again");
    assert_eq!(
        again, merged,
        "merging the same decision again changes nothing"
    );
});
