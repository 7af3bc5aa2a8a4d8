use super::*;

/// A stored (uncompressed) ZIP file; `declared` overrides an entry's declared unpacked size,
/// as a compressed bomb would.
pub fn zip(entries: &[(&str, &[u8], Option<u32>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut directory = Vec::new();
    for (name, data, declared) in entries {
        let offset = out.len() as u32;
        let size = data.len() as u32;
        let unpacked = declared.unwrap_or(size);
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&unpacked.to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        directory.extend_from_slice(b"PK\x01\x02");
        directory.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        directory.extend_from_slice(&size.to_le_bytes());
        directory.extend_from_slice(&unpacked.to_le_bytes());
        directory.extend_from_slice(&(name.len() as u16).to_le_bytes());
        directory.extend_from_slice(&[0; 12]);
        directory.extend_from_slice(&offset.to_le_bytes());
        directory.extend_from_slice(name.as_bytes());
    }
    let dir_offset = out.len() as u32;
    out.extend_from_slice(&directory);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(directory.len() as u32).to_le_bytes());
    out.extend_from_slice(&dir_offset.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

fn check(name: &str, bytes: &[u8]) -> Result<MediaType, DocumentError> {
    identify(&FileName::parse(name).unwrap(), bytes, bytes, bytes.len() as u64)
}

#[test]
fn each_accepted_kind_is_told_by_its_content() {
    assert_eq!(check("акт.pdf", b"%PDF-1.7\n...\n%%EOF\n"), Ok(MediaType::Pdf));
    assert_eq!(check("снимка.JPG", &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Ok(MediaType::Jpeg));
    assert_eq!(check("a.jpeg", &[0xFF, 0xD8, 0xFF, 0xE1]), Ok(MediaType::Jpeg));
    assert_eq!(check("скица.png", b"\x89PNG\r\n\x1a\n...."), Ok(MediaType::Png));
    let docx = zip(&[("[Content_Types].xml", b"<Types/>", None), ("word/document.xml", b"<w:document/>", None)]);
    assert_eq!(check("заявление.docx", &docx), Ok(MediaType::Docx));
    let odt = zip(&[("mimetype", b"application/vnd.oasis.opendocument.text", None), ("content.xml", b"<x/>", None)]);
    assert_eq!(check("писмо.odt", &odt), Ok(MediaType::Odt));
}

#[test]
fn lying_names_unknown_content_and_bombs_are_refused() {
    // A PNG named as a PDF, a PDF without extension.
    assert_eq!(
        check("акт.pdf", b"\x89PNG\r\n\x1a\n...."),
        Err(DocumentError::Mislabelled { extension: "pdf".into(), actual: "png" })
    );
    assert!(matches!(check("акт", b"%PDF-1.4\n%%EOF"), Err(DocumentError::Mislabelled { .. })));
    // A program that only begins like a PDF, or has no version.
    assert_eq!(check("setup.pdf", b"%PDF-\x7fELF\x02\x01\x01 a program"), Err(DocumentError::Unsupported));
    assert_eq!(check("setup.pdf", b"%PDF-MZ\x90\x00 ... %%EOF"), Err(DocumentError::Unsupported));
    // A Word file carrying a program or a macro project, entries that unpack elsewhere.
    for bad in ["word/setup.exe", "word/vbaProject.bin", "../../etc/cron.d/x", "/etc/passwd", "word\\..\\x.xml"] {
        let docx = zip(&[("word/document.xml", b"<w/>", None), (bad, b"MZ", None)]);
        assert_eq!(check("a.docx", &docx), Err(DocumentError::Unsupported), "{bad}");
    }
    // A directory that lies about its size or where the entries are.
    let docx = zip(&[("word/document.xml", b"<w/>", None)]);
    let mut longer = docx.clone();
    let n = longer.len();
    longer[n - 10] = longer[n - 10].wrapping_add(1);
    assert_eq!(check("a.docx", &longer), Err(DocumentError::Unsupported), "declared directory size");
    let mut after = docx.clone();
    let at = after.windows(4).position(|w| w == b"PK\x01\x02").unwrap() + 42;
    after[at..at + 4].copy_from_slice(&1000u32.to_le_bytes());
    assert_eq!(check("a.docx", &after), Err(DocumentError::Unsupported), "entry offset past the directory");
    // A program, a script, a plain ZIP, an empty file.
    assert_eq!(check("setup.pdf", b"MZ\x90\x00\x03"), Err(DocumentError::Unsupported));
    assert_eq!(check("a.pdf", b"<script>alert(1)</script>"), Err(DocumentError::Unsupported));
    assert_eq!(check("a.docx", &zip(&[("readme.txt", b"hi", None)])), Err(DocumentError::Unsupported));
    assert_eq!(check("a.pdf", b""), Err(DocumentError::Empty));
    // A DOCX whose entry declares 4 GB unpacked from a few bytes.
    let bomb = zip(&[("word/document.xml", b"tiny", Some(u32::MAX))]);
    assert_eq!(check("a.docx", &bomb), Err(DocumentError::Bomb));
    // A truncated archive.
    let docx = zip(&[("word/document.xml", b"<w/>", None)]);
    assert_eq!(check("a.docx", &docx[..docx.len() - 10]), Err(DocumentError::Unsupported));
    // Too large by the size alone.
    assert_eq!(
        identify(&FileName::parse("a.pdf").unwrap(), b"%PDF-1.7", b"%%EOF", MAX_BYTES + 1),
        Err(DocumentError::TooLarge)
    );
}

#[test]
fn names_lose_paths_and_control_characters() {
    assert_eq!(FileName::parse("C:\\Users\\мария\\акт.pdf").unwrap().as_str(), "акт.pdf");
    assert_eq!(FileName::parse("../../etc/passwd").unwrap().as_str(), "passwd");
    assert_eq!(FileName::parse("a\u{0}b\n.pdf").unwrap().as_str(), "ab.pdf");
    for bad in ["", "  ", "dir/", "..", &"я".repeat(201)] {
        assert_eq!(FileName::parse(bad), Err(DocumentError::Name), "{bad:?}");
    }
}

proptest::proptest! {
    #[test]
    fn any_bytes_are_answered_without_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
        let _ = check("x.docx", &bytes);
        let mut zipped = b"PK\x03\x04".to_vec();
        zipped.extend_from_slice(&bytes);
        let _ = check("x.docx", &zipped);
    }
}
