use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use std::time::UNIX_EPOCH;

use tempfile::TempDir;

use super::sidecar::xmp_date;
use super::*;
use crate::Error;

/// A Lightroom Classic sidecar for a raw file: develop settings as attributes, history,
/// keywords, a tone curve. Our properties are attributes here.
const LIGHTROOM_SIDECAR: &str = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0-c000 1.000000, 0000/00/00-00:00:00        ">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:aux="http://ns.adobe.com/exif/1.0/aux/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
    xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
    xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
   xmp:ModifyDate="2024-04-30T18:02:11+02:00"
   xmp:CreateDate="2024-04-30T15:41:07.52"
   xmp:CreatorTool="Adobe Photoshop Lightroom Classic 13.2 (Windows)"
   xmp:Rating="2"
   xmp:Label="Green"
   xmp:MetadataDate="2024-04-30T18:02:11+02:00"
   aux:SerialNumber="032021001234"
   aux:LensInfo="240/10 1050/10 40/10 56/10"
   aux:Lens="EF24-105mm f/4L IS USM"
   photoshop:DateCreated="2024-04-30T15:41:07.52"
   xmpMM:DocumentID="xmp.did:3f0c2e1a-5b1e-4f4e-9d52-0c8f3a1e7b21"
   xmpMM:OriginalDocumentID="5A1C7E0F0B0D6C3E9F2B1A4D8E7C6B5A"
   xmpMM:InstanceID="xmp.iid:3f0c2e1a-5b1e-4f4e-9d52-0c8f3a1e7b21"
   crs:Version="16.2"
   crs:ProcessVersion="15.4"
   crs:WhiteBalance="As Shot"
   crs:Exposure2012="+0.35"
   crs:Contrast2012="+12"
   crs:Highlights2012="-48"
   crs:Shadows2012="+31"
   crs:HasSettings="True"
   crs:HasCrop="False"
   crs:AlreadyApplied="False">
   <xmpMM:History>
    <rdf:Seq>
     <rdf:li
      stEvt:action="derived"
      stEvt:parameters="converted from image/x-canon-cr2 to image/dng, saved to new location"/>
     <rdf:li
      stEvt:action="saved"
      stEvt:instanceID="xmp.iid:3f0c2e1a-5b1e-4f4e-9d52-0c8f3a1e7b21"
      stEvt:when="2024-04-30T18:02:11+02:00"
      stEvt:softwareAgent="Adobe Photoshop Lightroom Classic 13.2 (Windows)"
      stEvt:changed="/metadata"/>
    </rdf:Seq>
   </xmpMM:History>
   <dc:subject>
    <rdf:Bag>
     <rdf:li>wedding</rdf:li>
     <rdf:li>Anna &amp; Ben</rdf:li>
    </rdf:Bag>
   </dc:subject>
   <lr:hierarchicalSubject>
    <rdf:Bag>
     <rdf:li>events|wedding</rdf:li>
    </rdf:Bag>
   </lr:hierarchicalSubject>
   <crs:ToneCurvePV2012>
    <rdf:Seq>
     <rdf:li>0, 0</rdf:li>
     <rdf:li>255, 255</rdf:li>
    </rdf:Seq>
   </crs:ToneCurvePV2012>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"#;

/// A darktable 4.x sidecar (`IMG_1.CR2.xmp`, written through Exiv2): the edit history with
/// binary module parameters, masks, two colour labels, keywords.
const DARKTABLE_SIDECAR: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:exif="http://ns.adobe.com/exif/1.0/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
    xmlns:darktable="http://darktable.sf.net/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
   exif:DateTimeOriginal="2024:04:30 15:41:07.520"
   xmp:Rating="1"
   xmpMM:DerivedFrom="IMG_1.CR2"
   darktable:import_timestamp="63850283000000000"
   darktable:change_timestamp="63850290000000000"
   darktable:export_timestamp="-1"
   darktable:print_timestamp="-1"
   darktable:xmp_version="5"
   darktable:raw_params="0"
   darktable:auto_presets_applied="1"
   darktable:history_end="3"
   darktable:iop_order_version="4">
   <darktable:colorlabels>
    <rdf:Seq>
     <rdf:li>2</rdf:li>
     <rdf:li>4</rdf:li>
    </rdf:Seq>
   </darktable:colorlabels>
   <darktable:masks_history>
    <rdf:Seq/>
   </darktable:masks_history>
   <darktable:history>
    <rdf:Seq>
     <rdf:li
      darktable:num="0"
      darktable:operation="rawprepare"
      darktable:enabled="1"
      darktable:modversion="1"
      darktable:params="0000000000000000000000000000000000000000000000000000000000000000fe070000"
      darktable:multi_name=""
      darktable:multi_name_hand_edited="0"
      darktable:multi_priority="0"
      darktable:blendop_version="14"
      darktable:blendop_params="gz11eJxjYGBgkGAAgRNODESDBnsIHll8ANNSGQM="/>
     <rdf:li
      darktable:num="1"
      darktable:operation="exposure"
      darktable:enabled="1"
      darktable:modversion="6"
      darktable:params="00000000000080b90000003f00004842000080c0"
      darktable:multi_name="+0.5 EV"
      darktable:multi_name_hand_edited="1"
      darktable:multi_priority="0"
      darktable:blendop_version="14"
      darktable:blendop_params="gz11eJxjYGBgkGAAgRNODESDBnsIHll8ANNSGQM="/>
     <rdf:li
      darktable:num="2"
      darktable:operation="filmicrgb"
      darktable:enabled="1"
      darktable:modversion="6"
      darktable:params="gz04eJxjYGBgsGCCACYGHbsmO4+JxvYMDAz2DLgAACl4BLk="
      darktable:multi_name=""
      darktable:multi_name_hand_edited="0"
      darktable:multi_priority="0"
      darktable:blendop_version="14"
      darktable:blendop_params="gz11eJxjYGBgkGAAgRNODESDBnsIHll8ANNSGQM="/>
    </rdf:Seq>
   </darktable:history>
   <dc:subject>
    <rdf:Bag>
     <rdf:li>darktable|format|CR2</rdf:li>
     <rdf:li>portrait</rdf:li>
    </rdf:Bag>
   </dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"#;

/// Our properties written as child elements, under the old `xap` prefix, plus a duplicate of
/// the rating as an attribute of a second description.
const ELEMENT_FORM_SIDECAR: &str = r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xap="http://ns.adobe.com/xap/1.0/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">
   <xap:Rating>2</xap:Rating>
   <xap:Label>Yellow</xap:Label>
   <photoshop:Credit>Jane Doe &lt;jane@example.org&gt;</photoshop:Credit>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="3"/>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
"#;

fn decision(flag: Flag, stars: u8, label: Option<ColorLabel>) -> Decision {
    Decision {
        flag,
        stars,
        label,
        updated_at_ms: 1,
    }
}

/// A fake image file (its bytes must never change).
fn image(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, format!("image bytes of {name}")).expect("write image");
    path
}

/// Plan and write one sidecar; panics on failure.
fn export(image: &Path, decision: Decision, naming: SidecarNaming) -> PathBuf {
    let plan = plan_xmp(&[(image.to_path_buf(), decision)], naming);
    let report = write_xmp(&plan);
    assert!(report.is_complete(), "export failed: {:?}", report.failed);
    plan[0].sidecar.clone()
}

/// The lines of a sidecar that are not ours, to compare the rest byte for byte. Lines holding
/// our properties and darktable's colour-label block are dropped; a trailing `>` is ignored
/// because new attributes are appended just before the start tag's `>`.
fn foreign_lines(text: &str) -> Vec<String> {
    const OURS: [&str; 5] = [
        "xmp:Rating",
        "xmp:Label",
        "xmp:MetadataDate",
        "digiKam:",
        "xmlns:digiKam",
    ];
    let mut out = Vec::new();
    let mut in_colorlabels = false;
    for line in text.lines() {
        if line.contains("<darktable:colorlabels>") {
            in_colorlabels = true;
        }
        let ours = in_colorlabels || OURS.iter().any(|p| line.contains(p));
        if line.contains("</darktable:colorlabels>") {
            in_colorlabels = false;
        }
        if !ours {
            out.push(line.trim_end_matches('>').to_owned());
        }
    }
    out
}

fn exiftool_json(path: &Path) -> serde_json::Value {
    let output = Command::new("exiftool")
        .args(["-j", "-G1", "-a", "-n"])
        .arg(path)
        .output()
        .expect(
            "exiftool must be installed to check our sidecars \
             (Debian: apt-get install libimage-exiftool-perl)",
        );
    assert!(
        output.status.success(),
        "exiftool failed on {}",
        path.display()
    );
    let mut list: Vec<serde_json::Value> =
        serde_json::from_slice(&output.stdout).expect("exiftool JSON");
    list.pop().expect("one file")
}

#[test]
fn sidecar_names() {
    let cases = [
        ("IMG_1.CR2", SidecarNaming::Adobe, "IMG_1.xmp"),
        ("IMG_1.CR2", SidecarNaming::Darktable, "IMG_1.CR2.xmp"),
        ("shoot/IMG_1.JPG", SidecarNaming::Adobe, "shoot/IMG_1.xmp"),
        (
            "shoot/IMG_1.JPG",
            SidecarNaming::Darktable,
            "shoot/IMG_1.JPG.xmp",
        ),
        ("a.b.tif", SidecarNaming::Adobe, "a.b.xmp"),
        ("noext", SidecarNaming::Adobe, "noext.xmp"),
        ("noext", SidecarNaming::Darktable, "noext.xmp"),
    ];
    for (image, naming, expected) in cases {
        assert_eq!(
            naming.sidecar_path(Path::new(image)),
            PathBuf::from(expected),
            "case {image} {naming:?}"
        );
    }
}

#[test]
fn values_from_decisions() {
    let cases = [
        ("unflagged", decision(Flag::None, 0, None), 0, 0),
        ("stars", decision(Flag::None, 4, None), 4, 0),
        ("pick", decision(Flag::Pick, 5, None), 5, 3),
        (
            "reject wins over stars",
            decision(Flag::Reject, 3, None),
            -1,
            1,
        ),
    ];
    for (name, d, rating, pick) in cases {
        let v = XmpValues::from(&d);
        assert_eq!((v.rating, v.pick_label()), (rating, pick), "case {name}");
    }
}

#[test]
fn xmp_dates() {
    let cases = [
        (0, "1970-01-01T00:00:00Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (1_714_566_896, "2024-05-01T12:34:56Z"),
        (4_107_542_399, "2100-02-28T23:59:59Z"),
        (1_709_251_199, "2024-02-29T23:59:59Z"),
        (2_147_483_648, "2038-01-19T03:14:08Z"),
        (253_402_300_799, "9999-12-31T23:59:59Z"),
    ];
    for (secs, expected) in cases {
        let time = UNIX_EPOCH + std::time::Duration::from_secs(secs);
        assert_eq!(xmp_date(time), expected, "case {secs}");
    }
    let before_1970 = UNIX_EPOCH - std::time::Duration::from_secs(1);
    assert_eq!(
        xmp_date(before_1970),
        "1970-01-01T00:00:00Z",
        "a clock before 1970"
    );
}

#[test]
fn creates_a_new_sidecar() {
    let dir = TempDir::new().expect("tempdir");
    let cases = [
        (SidecarNaming::Adobe, "a.CR2", "a.xmp", None),
        (
            SidecarNaming::Darktable,
            "b.CR2",
            "b.CR2.xmp",
            Some(vec![3]),
        ),
    ];
    for (naming, name, sidecar_name, colorlabels) in cases {
        let img = image(dir.path(), name);
        let plan = plan_xmp(
            &[(img.clone(), decision(Flag::Pick, 4, Some(ColorLabel::Blue)))],
            naming,
        );
        assert_eq!(
            plan[0].action,
            SidecarAction::Create,
            "case {naming:?}: plan"
        );
        assert_eq!(
            plan[0].sidecar,
            dir.path().join(sidecar_name),
            "case {naming:?}: path"
        );
        let report = write_xmp(&plan);
        assert!(report.is_complete(), "case {naming:?}: {:?}", report.failed);

        let values = read_sidecar(&plan[0].sidecar).expect("read back");
        assert_eq!(values.rating, Some(4), "case {naming:?}: rating");
        assert_eq!(
            values.label.as_deref(),
            Some("Blue"),
            "case {naming:?}: label"
        );
        assert_eq!(values.pick_label, Some(3), "case {naming:?}: pick label");
        assert_eq!(
            values.darktable_colorlabels, colorlabels,
            "case {naming:?}: darktable"
        );
        assert!(values.metadata_date.is_some(), "case {naming:?}: date");
        assert_eq!(
            fs::read_to_string(&img).expect("image"),
            format!("image bytes of {name}"),
            "case {naming:?}: image untouched"
        );
    }
}

#[test]
fn merges_into_a_lightroom_sidecar_keeping_everything_else() {
    let dir = TempDir::new().expect("tempdir");
    let img = image(dir.path(), "IMG_1.CR2");
    let sidecar = dir.path().join("IMG_1.xmp");
    fs::write(&sidecar, LIGHTROOM_SIDECAR).expect("write sidecar");

    let plan = plan_xmp(
        &[(img.clone(), decision(Flag::None, 4, Some(ColorLabel::Red)))],
        SidecarNaming::Adobe,
    );
    assert_eq!(
        plan[0].action,
        SidecarAction::Merge,
        "existing sidecar is merged"
    );
    assert!(write_xmp(&plan).is_complete(), "write");

    let out = fs::read_to_string(&sidecar).expect("read");
    assert_eq!(
        foreign_lines(&out),
        foreign_lines(LIGHTROOM_SIDECAR),
        "other content kept"
    );
    let cases = [
        ("rating in place", "   xmp:Rating=\"4\"\n"),
        ("label in place", "   xmp:Label=\"Red\"\n"),
        ("pick label added", "digiKam:PickLabel=\"0\""),
        (
            "namespace declared",
            "xmlns:digiKam=\"http://www.digikam.org/ns/1.0/\"",
        ),
        ("history kept", "stEvt:changed=\"/metadata\"/>"),
        ("escaped keyword kept", "<rdf:li>Anna &amp; Ben</rdf:li>"),
    ];
    for (name, needle) in cases {
        assert!(
            out.contains(needle),
            "case {name}: {needle:?} missing in\n{out}"
        );
    }
    assert!(
        !out.contains("2024-04-30T18:02:11+02:00\"\n   aux"),
        "date replaced"
    );
    assert!(
        !out.contains("darktable"),
        "no darktable labels with Adobe naming"
    );
    assert_eq!(
        fs::read_to_string(&img).expect("image"),
        "image bytes of IMG_1.CR2"
    );
}

#[test]
fn merges_into_a_darktable_sidecar_keeping_its_history() {
    let dir = TempDir::new().expect("tempdir");
    let img = image(dir.path(), "IMG_1.CR2");
    let sidecar = dir.path().join("IMG_1.CR2.xmp");
    fs::write(&sidecar, DARKTABLE_SIDECAR).expect("write sidecar");
    let block = |text: &str, tag: &str| -> String {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        let start = text.find(&open).expect("open tag");
        let end = text.find(&close).expect("close tag") + close.len();
        text[start..end].to_owned()
    };

    // Set a label: darktable's two labels become our one.
    export(
        &img,
        decision(Flag::Pick, 5, Some(ColorLabel::Blue)),
        SidecarNaming::Darktable,
    );
    let out = fs::read_to_string(&sidecar).expect("read");
    let values = read_sidecar(&sidecar).expect("values");
    assert_eq!(values.rating, Some(5), "rating");
    assert_eq!(values.label.as_deref(), Some("Blue"), "label");
    assert_eq!(
        values.darktable_colorlabels,
        Some(vec![3]),
        "darktable labels replaced"
    );
    assert_eq!(values.pick_label, Some(3), "pick label");
    assert_eq!(
        foreign_lines(&out),
        foreign_lines(DARKTABLE_SIDECAR),
        "other content kept"
    );
    for tag in ["darktable:history", "darktable:masks_history", "dc:subject"] {
        assert_eq!(
            block(&out, tag),
            block(DARKTABLE_SIDECAR, tag),
            "{tag} byte-for-byte"
        );
    }

    // Clear the label: both the Lightroom and the darktable label go.
    export(
        &img,
        decision(Flag::Pick, 5, None),
        SidecarNaming::Darktable,
    );
    let out = fs::read_to_string(&sidecar).expect("read");
    let values = read_sidecar(&sidecar).expect("values");
    assert_eq!(values.label, None, "label removed");
    assert_eq!(
        values.darktable_colorlabels, None,
        "darktable labels removed"
    );
    assert!(
        !out.contains("colorlabels"),
        "no colorlabels element left:\n{out}"
    );
    assert_eq!(
        foreign_lines(&out),
        foreign_lines(DARKTABLE_SIDECAR),
        "other content kept"
    );
    assert_eq!(
        block(&out, "darktable:history"),
        block(DARKTABLE_SIDECAR, "darktable:history")
    );
    assert_eq!(
        fs::read_to_string(&img).expect("image"),
        "image bytes of IMG_1.CR2"
    );
}

#[test]
fn updates_properties_written_as_elements_and_drops_duplicates() {
    let dir = TempDir::new().expect("tempdir");
    let img = image(dir.path(), "scan.tif");
    let sidecar = dir.path().join("scan.xmp");
    fs::write(&sidecar, ELEMENT_FORM_SIDECAR).expect("write sidecar");

    export(&img, decision(Flag::None, 5, None), SidecarNaming::Adobe);
    let out = fs::read_to_string(&sidecar).expect("read");
    let cases = [
        (
            "rating element updated in place",
            true,
            "   <xap:Rating>5</xap:Rating>\n",
        ),
        ("label element removed", false, "xap:Label"),
        ("duplicate rating attribute removed", false, "xmp:Rating"),
        ("date uses the file's prefix", true, "xap:MetadataDate=\""),
        (
            "other property kept",
            true,
            "<photoshop:Credit>Jane Doe &lt;jane@example.org&gt;</photoshop:Credit>",
        ),
        ("packet wrapper kept", true, "<?xpacket end=\"w\"?>"),
    ];
    for (name, present, needle) in cases {
        assert_eq!(
            out.contains(needle),
            present,
            "case {name}: {needle:?} in\n{out}"
        );
    }
    assert_eq!(
        out.matches("<xap:Rating>").count(),
        1,
        "one rating element:\n{out}"
    );
    assert!(!out.contains("Rating="), "no rating attribute left:\n{out}");
    let values = read_sidecar(&sidecar).expect("values");
    assert_eq!((values.rating, values.label), (Some(5), None), "read back");

    // Setting a label again on an element-form file adds it as an attribute.
    export(
        &img,
        decision(Flag::Reject, 5, Some(ColorLabel::Purple)),
        SidecarNaming::Adobe,
    );
    let values = read_sidecar(&sidecar).expect("values");
    assert_eq!(values.rating, Some(-1), "rejected");
    assert_eq!(values.label.as_deref(), Some("Purple"), "label");
    assert_eq!(values.pick_label, Some(1), "digiKam rejected");
}

#[test]
fn keeps_a_byte_order_mark_and_crlf_line_ends() {
    let dir = TempDir::new().expect("tempdir");
    let img = image(dir.path(), "IMG_2.NEF");
    let sidecar = dir.path().join("IMG_2.xmp");
    let original = format!("\u{feff}{}", LIGHTROOM_SIDECAR.replace('\n', "\r\n"));
    fs::write(&sidecar, &original).expect("write sidecar");

    export(
        &img,
        decision(Flag::None, 1, Some(ColorLabel::Yellow)),
        SidecarNaming::Adobe,
    );
    let out = fs::read_to_string(&sidecar).expect("read");
    assert!(out.starts_with('\u{feff}'), "BOM kept");
    assert_eq!(
        out.matches('\n').count(),
        out.matches("\r\n").count(),
        "only CRLF line ends"
    );
    assert_eq!(
        foreign_lines(&out),
        foreign_lines(&original),
        "other content kept"
    );
    assert_eq!(
        read_sidecar(&sidecar).expect("values").label.as_deref(),
        Some("Yellow")
    );
}

#[test]
fn adds_a_description_to_an_empty_packet() {
    let dir = TempDir::new().expect("tempdir");
    let img = image(dir.path(), "x.jpg");
    let sidecar = dir.path().join("x.xmp");
    fs::write(
        &sidecar,
        "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n </rdf:RDF>\n</x:xmpmeta>\n",
    )
    .expect("write sidecar");
    export(
        &img,
        decision(Flag::Pick, 2, Some(ColorLabel::Green)),
        SidecarNaming::Darktable,
    );
    // Darktable naming puts it at x.jpg.xmp; the Adobe-named file is someone else's.
    let dt = read_sidecar(&dir.path().join("x.jpg.xmp")).expect("darktable sidecar");
    assert_eq!(dt.darktable_colorlabels, Some(vec![2]), "darktable labels");

    export(
        &img,
        decision(Flag::Pick, 2, Some(ColorLabel::Green)),
        SidecarNaming::Adobe,
    );
    let values = read_sidecar(&sidecar).expect("values");
    assert_eq!(
        (values.rating, values.label.as_deref(), values.pick_label),
        (Some(2), Some("Green"), Some(3)),
        "written into the empty packet"
    );
}

#[test]
fn writing_twice_changes_only_the_date() {
    let dir = TempDir::new().expect("tempdir");
    let img = image(dir.path(), "IMG_3.CR2");
    let sidecar = dir.path().join("IMG_3.CR2.xmp");
    fs::write(&sidecar, DARKTABLE_SIDECAR).expect("write sidecar");
    let d = decision(Flag::None, 3, Some(ColorLabel::Red));
    export(&img, d, SidecarNaming::Darktable);
    let first = fs::read_to_string(&sidecar).expect("first");
    export(&img, d, SidecarNaming::Darktable);
    let second = fs::read_to_string(&sidecar).expect("second");
    let strip_date = |s: &str| {
        s.lines()
            .filter(|l| !l.contains("MetadataDate"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip_date(&first), strip_date(&second), "stable output");
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .expect("list")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temp files left behind: {leftovers:?}"
    );
}

#[test]
fn unparsable_sidecars_are_reported_and_left_untouched() {
    let dir = TempDir::new().expect("tempdir");
    let half = &LIGHTROOM_SIDECAR[..LIGHTROOM_SIDECAR.len() / 2];
    let cases: [(&str, &[u8]); 8] = [
        ("truncated", half.as_bytes()),
        ("binary junk", b"\x00\x01\x02 not xml at all \xff"),
        ("utf-16", b"\xff\xfe<\x00x\x00:\x00"),
        ("html", b"<html><body>hello</body></html>"),
        ("empty", b""),
        (
            "mismatched tags",
            b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"></x:xmpmeta>",
        ),
        (
            "undeclared prefix",
            b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description foo:bar=\"1\"/></rdf:RDF></x:xmpmeta>",
        ),
        (
            "self-closed rdf:RDF",
            b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"/></x:xmpmeta>",
        ),
    ];
    let mut items = Vec::new();
    for (i, (_, bytes)) in cases.iter().enumerate() {
        let img = image(dir.path(), &format!("bad{i}.jpg"));
        fs::write(dir.path().join(format!("bad{i}.xmp")), bytes).expect("write bad sidecar");
        items.push((img, decision(Flag::Pick, 1, None)));
    }
    // A good one in the middle: the batch goes on around the failures.
    items.insert(
        3,
        (image(dir.path(), "good.jpg"), decision(Flag::Pick, 1, None)),
    );

    let report = write_xmp(&plan_xmp(&items, SidecarNaming::Adobe));
    assert_eq!(report.done.len(), 1, "the good file is written");
    assert_eq!(report.done[0].dest, dir.path().join("good.xmp"));
    assert_eq!(
        report.failed.len(),
        cases.len(),
        "every bad file is reported"
    );
    for (i, (name, bytes)) in cases.iter().enumerate() {
        let failure = report
            .failed
            .iter()
            .find(|f| f.source == dir.path().join(format!("bad{i}.jpg")))
            .unwrap_or_else(|| panic!("case {name}: no failure reported"));
        assert!(
            matches!(&failure.error, Error::SidecarParse { path, .. } if *path == dir.path().join(format!("bad{i}.xmp"))),
            "case {name}: got {:?}",
            failure.error
        );
        assert_eq!(
            fs::read(dir.path().join(format!("bad{i}.xmp"))).expect("read"),
            *bytes,
            "case {name}: file untouched"
        );
    }
}

/// A packet `inside` the description of a complete sidecar.
fn packet(attributes: &str, inside: &str) -> String {
    format!(
        "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n <rdf:RDF \
         xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n  \
         <rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"{attributes}>\
         {inside}</rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n"
    )
}

/// Each way a packet cannot be read has its own error, naming the place or the name at fault.
#[test]
fn parse_errors_say_what_is_wrong() {
    let mismatched = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF \
                      xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"></x:xmpmeta>";
    let end_tag = mismatched.find("</x:xmpmeta>").expect("end tag");
    let many = packet("", "").replace(
        "<rdf:Description",
        &format!(
            "{}<rdf:Description",
            "<rdf:Description rdf:about=\"\"/>".repeat(1024)
        ),
    );
    type Check = fn(&XmpError) -> bool;
    let cases: Vec<(&str, String, Check, &str)> = vec![
        (
            "empty",
            String::new(),
            |e| matches!(e, XmpError::NoElement),
            "no XML element in the file",
        ),
        (
            "html",
            "<html><body>hello</body></html>".into(),
            |e| matches!(e, XmpError::NoRdf),
            "no rdf:RDF element: not an XMP packet",
        ),
        (
            "mismatched tags",
            mismatched.into(),
            |e| matches!(e, XmpError::Malformed { .. }),
            "not well-formed XML near byte",
        ),
        (
            "cut short",
            packet("", "")
                .split("</rdf:Description>")
                .next()
                .unwrap_or("")
                .into(),
            |e| matches!(e, XmpError::UnclosedElements),
            "unexpected end of file: elements left open",
        ),
        (
            "undeclared prefix",
            packet(" foo:bar=\"1\"", ""),
            |e| matches!(e, XmpError::UndeclaredPrefix(p) if p == "foo"),
            "undeclared namespace prefix \"foo\"",
        ),
        (
            "doctype",
            format!("<!DOCTYPE x>{}", packet("", "")),
            |e| matches!(e, XmpError::Doctype),
            "DOCTYPE declarations are not allowed in XMP",
        ),
        (
            "unknown entity",
            packet("", "<xmp:Label>&bogus;</xmp:Label>"),
            |e| matches!(e, XmpError::UnknownEntity(name) if name == "bogus"),
            "unknown entity &bogus;",
        ),
        (
            "surrogate character reference",
            packet("", "<xmp:Label>&#xD800;</xmp:Label>"),
            |e| matches!(e, XmpError::BadCharRef(_)),
            "bad character reference: ",
        ),
        (
            "bad attribute value",
            packet(" xmp:Label=\"&bogus;\"", ""),
            |e| matches!(e, XmpError::BadAttributeValue { value, .. } if value == "&bogus;"),
            "bad attribute value \"&bogus;\": ",
        ),
        (
            "too many descriptions",
            many,
            |e| matches!(e, XmpError::TooManyDescriptions { limit: 1024 }),
            "more than 1024 top-level rdf:Description elements; not a sidecar",
        ),
    ];
    for (name, text, check, words) in cases {
        let err = parse_sidecar(&text).expect_err(name);
        assert!(check(&err), "case {name}: got {err:?}");
        assert!(
            err.to_string().starts_with(words),
            "case {name}: {err} does not start with {words:?}"
        );
    }
    match parse_sidecar(mismatched).expect_err("mismatched") {
        XmpError::Malformed { position, .. } => assert!(
            (end_tag..mismatched.len()).contains(&position),
            "the position {position} points into the end tag at {end_tag}"
        ),
        other => panic!("mismatched: {other:?}"),
    }

    let values = XmpValues::from(&decision(Flag::Pick, 1, None));
    let empty_rdf = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF \
                     xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"/></x:xmpmeta>";
    assert!(
        matches!(
            render_sidecar(
                Some(empty_rdf),
                &values,
                SidecarNaming::Adobe,
                "2024-05-01T00:00:00Z"
            ),
            Err(XmpError::EmptyRdf)
        ),
        "self-closed rdf:RDF"
    );
}

/// The crate's error names the sidecar; the XMP error says what is wrong with it.
#[test]
fn sidecar_errors_carry_the_path() {
    let dir = TempDir::new().expect("tempdir");
    let sidecar = dir.path().join("x.xmp");
    fs::write(&sidecar, b"<x\xff/>").expect("write");
    let err = read_sidecar(&sidecar).expect_err("not UTF-8");
    assert!(
        matches!(&err, Error::SidecarParse { path, reason: XmpError::NotUtf8 { position: 2 } } if *path == sidecar),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "cannot parse existing sidecar {}: not UTF-8 text (invalid byte at 2); left it untouched",
            sidecar.display()
        )
    );
    fs::write(&sidecar, "<html/>").expect("write");
    assert!(
        matches!(
            read_sidecar(&sidecar),
            Err(Error::SidecarParse {
                reason: XmpError::NoRdf,
                ..
            })
        ),
        "not XMP"
    );
}

#[test]
fn shared_sidecars_are_folded_or_reported() {
    let dir = TempDir::new().expect("tempdir");
    let raw = image(dir.path(), "IMG_4.CR2");
    let jpg = image(dir.path(), "IMG_4.JPG");
    let same = decision(Flag::Pick, 2, None);

    let plan = plan_xmp(
        &[(raw.clone(), same), (jpg.clone(), same)],
        SidecarNaming::Adobe,
    );
    assert_eq!(plan.len(), 1, "same decision: one sidecar");
    assert_eq!(
        plan[0].images,
        vec![raw.clone(), jpg.clone()],
        "both images listed"
    );

    let plan = plan_xmp(
        &[
            (raw.clone(), same),
            (jpg.clone(), decision(Flag::Reject, 0, None)),
        ],
        SidecarNaming::Adobe,
    );
    assert_eq!(plan.len(), 2, "different decisions");
    assert_eq!(
        plan[1].action,
        SidecarAction::Conflict {
            other_image: raw.clone()
        },
        "second claim conflicts"
    );
    let report = write_xmp(&plan);
    assert_eq!(report.done.len(), 1, "the first is written");
    assert!(
        matches!(report.failed[0].error, Error::SidecarConflict { .. }),
        "the second is reported: {:?}",
        report.failed
    );
    assert_eq!(
        read_sidecar(&dir.path().join("IMG_4.xmp"))
            .expect("read")
            .rating,
        Some(2)
    );
}

#[test]
fn an_upper_case_sidecar_is_merged_not_duplicated() {
    let dir = TempDir::new().expect("tempdir");
    let img = image(dir.path(), "DSC_5.NEF");
    let upper = dir.path().join("DSC_5.XMP");
    fs::write(&upper, LIGHTROOM_SIDECAR).expect("write");
    let plan = plan_xmp(
        &[(img, decision(Flag::None, 3, None))],
        SidecarNaming::Adobe,
    );
    assert_eq!(
        (plan[0].sidecar.clone(), plan[0].action.clone()),
        (upper, SidecarAction::Merge)
    );
}

#[test]
fn an_image_named_like_its_sidecar_is_never_written() {
    let dir = TempDir::new().expect("tempdir");
    let img = image(dir.path(), "weird.xmp");
    let report = write_xmp(&plan_xmp(
        &[(img.clone(), decision(Flag::Pick, 1, None))],
        SidecarNaming::Adobe,
    ));
    assert!(
        matches!(report.failed[0].error, Error::SidecarIsImage { .. }),
        "{:?}",
        report.failed
    );
    assert_eq!(
        fs::read_to_string(&img).expect("image"),
        "image bytes of weird.xmp"
    );
}

#[test]
fn exiftool_reads_our_sidecars() {
    let dir = TempDir::new().expect("tempdir");
    let lr_img = image(dir.path(), "IMG_1.CR2");
    fs::write(dir.path().join("IMG_1.xmp"), LIGHTROOM_SIDECAR).expect("write");
    let dt_img = image(dir.path(), "IMG_2.CR2");
    fs::write(dir.path().join("IMG_2.CR2.xmp"), DARKTABLE_SIDECAR).expect("write");
    let el_img = image(dir.path(), "IMG_3.tif");
    fs::write(dir.path().join("IMG_3.xmp"), ELEMENT_FORM_SIDECAR).expect("write");
    let new_img = image(dir.path(), "IMG_4.JPG");

    let cases = [
        (
            "lightroom merge",
            &lr_img,
            SidecarNaming::Adobe,
            decision(Flag::Pick, 4, Some(ColorLabel::Red)),
        ),
        (
            "darktable merge",
            &dt_img,
            SidecarNaming::Darktable,
            decision(Flag::None, 2, Some(ColorLabel::Purple)),
        ),
        (
            "element form",
            &el_img,
            SidecarNaming::Adobe,
            decision(Flag::Reject, 0, None),
        ),
        (
            "new darktable",
            &new_img,
            SidecarNaming::Darktable,
            decision(Flag::Pick, 5, Some(ColorLabel::Green)),
        ),
    ];
    for (name, img, naming, d) in cases {
        let sidecar = export(img, d, naming);
        let tags = exiftool_json(&sidecar);
        let values = XmpValues::from(&d);
        assert_eq!(
            tags["XMP-xmp:Rating"],
            i64::from(values.rating),
            "case {name}: rating"
        );
        match d.label {
            Some(label) => assert_eq!(
                tags["XMP-xmp:Label"],
                lightroom_label(label),
                "case {name}: label"
            ),
            None => assert!(tags.get("XMP-xmp:Label").is_none(), "case {name}: no label"),
        }
        assert_eq!(
            tags["XMP-digiKam:PickLabel"],
            i64::from(values.pick_label()),
            "case {name}: pick label"
        );
        assert!(
            tags.get("XMP-xmp:MetadataDate").is_some(),
            "case {name}: date"
        );
        if naming == SidecarNaming::Darktable {
            let expected = d.label.map(|l| i64::from(darktable_label_index(l)));
            assert_eq!(
                tags.get("XMP-darktable:Colorlabels")
                    .and_then(|v| v.as_i64()),
                expected,
                "case {name}: darktable label"
            );
        }
    }

    // The rest of the merged files still reads as before.
    let lr = exiftool_json(&dir.path().join("IMG_1.xmp"));
    assert_eq!(
        lr["XMP-dc:Subject"],
        serde_json::json!(["wedding", "Anna & Ben"]),
        "keywords"
    );
    assert_eq!(lr["XMP-crs:Exposure2012"], "+0.35", "develop settings");
    let dt = exiftool_json(&dir.path().join("IMG_2.CR2.xmp"));
    assert_eq!(dt["XMP-darktable:History_end"], 3, "darktable history_end");
    assert_eq!(
        dt["XMP-dc:Subject"],
        serde_json::json!(["darktable|format|CR2", "portrait"])
    );

    // And `exiftool -X` (RDF/XML out) agrees with the short form.
    let output = Command::new("exiftool")
        .arg("-X")
        .arg(dir.path().join("IMG_1.xmp"))
        .output()
        .expect("exiftool -X");
    let xml = String::from_utf8_lossy(&output.stdout);
    assert!(xml.contains("<XMP-xmp:Rating>4</XMP-xmp:Rating>"), "{xml}");
    assert!(xml.contains("<XMP-xmp:Label>Red</XMP-xmp:Label>"), "{xml}");
}

#[test]
fn merge_respects_the_files_namespace_bindings() {
    use super::merge::{Change, Prop, Want, merge};
    const RATING: Prop = Prop {
        ns: "http://ns.adobe.com/xap/1.0/",
        prefix: "xmp",
        local: "Rating",
    };
    let set = Change {
        prop: RATING,
        want: Want::Text("4".into()),
        only_if_present: false,
    };
    let rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
    let cases = [
        (
            "declared on an ancestor: no new declaration",
            format!(
                "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">\
                 <rdf:RDF xmlns:rdf=\"{rdf}\"><rdf:Description rdf:about=\"\"/></rdf:RDF></x:xmpmeta>"
            ),
            "<rdf:Description rdf:about=\"\" xmp:Rating=\"4\"/>",
        ),
        (
            "prefix xmp taken by another namespace: a fresh prefix",
            format!(
                "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"{rdf}\">\
                 <rdf:Description rdf:about=\"\" xmlns:xmp=\"urn:not-adobe\" xmp:Rating=\"9\"/>\
                 </rdf:RDF></x:xmpmeta>"
            ),
            "xmp:Rating=\"9\" xmlns:xmp2=\"http://ns.adobe.com/xap/1.0/\" xmp2:Rating=\"4\"/>",
        ),
        (
            "RDF as the default namespace: rdf prefix is not needed for attributes",
            format!(
                "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><RDF xmlns=\"{rdf}\">\
                 <Description xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"></Description></RDF></x:xmpmeta>"
            ),
            "<Description xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" xmp:Rating=\"4\"></Description>",
        ),
    ];
    for (name, input, expected) in cases {
        let out = merge(&input, std::slice::from_ref(&set))
            .unwrap_or_else(|e| panic!("case {name}: {e}"));
        assert!(
            out.contains(expected),
            "case {name}: {expected:?} not in\n{out}"
        );
    }
}

#[test]
fn merge_adds_children_to_a_self_closed_description() {
    use super::merge::{Change, Prop, Want, merge};
    let labels = Change {
        prop: Prop {
            ns: "http://darktable.sf.net/",
            prefix: "darktable",
            local: "colorlabels",
        },
        want: Want::Seq(vec!["1".into()]),
        only_if_present: false,
    };
    let input = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n \
                 <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n  \
                 <rdf:Description rdf:about=\"\"/>\n \
                 </rdf:RDF>\n</x:xmpmeta>\n";
    let out = merge(input, &[labels]).expect("merge");
    let expected = "  <rdf:Description rdf:about=\"\" xmlns:darktable=\"http://darktable.sf.net/\">\n   \
                    <darktable:colorlabels>\n    <rdf:Seq>\n     <rdf:li>1</rdf:li>\n    </rdf:Seq>\n   \
                    </darktable:colorlabels>\n  </rdf:Description>\n";
    assert!(out.contains(expected), "got\n{out}");
}
