//! Letters on paper: an HTML fragment for the screen and a tagged PDF/A for print and
//! download, laid out by Typst (as a library, with its bundled Libertinus Serif, which has
//! Cyrillic). The letter's words reach Typst as JSON data read by a fixed template, never as
//! markup, so nothing an officer or a citizen typed can change the layout.
#![warn(missing_docs)]

use std::sync::{Arc, LazyLock};

use harta_app::letters::{Letter, Receipt, Report, Typeset};
use harta_domain::format::date_bg;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards};

/// The layout of every letter; the words come from `letter.json`.
const TEMPLATE: &str = include_str!("letter.typ");

/// How many documents a memoised result of Typst's survives without being used again.
const KEPT_FOR: usize = 10;

/// The layout of a return receipt; the words come from `receipt.json`.
const RECEIPT: &str = include_str!("receipt.typ");

/// The layout of a report; the words come from `report.json`.
const REPORT: &str = include_str!("report.typ");

/// A print run: the letters' PDFs, page by page, as one document (`bundle.json` lists them).
const BUNDLE: &str = r#"#let d = json("/bundle.json")
#set page(paper: "a4", margin: 0pt)
#for l in d {
  for p in range(1, l.pages + 1) {
    page(image(l.file, page: p, width: 100%, height: 100%, fit: "stretch"))
  }
}
"#;

/// The fonts and standard library, loaded once per process.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

/// The only fonts the letters use: Libertinus Serif (with Cyrillic), kept in `fonts/` with
/// its licence, rather than every font Typst bundles (9.6 MB in the binary).
const FONTS: [&[u8]; 4] = [
    include_bytes!("../fonts/LibertinusSerif-Regular.otf"),
    include_bytes!("../fonts/LibertinusSerif-Bold.otf"),
    include_bytes!("../fonts/LibertinusSerif-Italic.otf"),
    include_bytes!("../fonts/LibertinusSerif-BoldItalic.otf"),
];

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONTS.into_iter().flat_map(|data| Font::iter(Bytes::new(data))).collect();
    Shared { library: LazyHash::new(Library::default()), book: LazyHash::new(FontBook::from_fonts(&fonts)), fonts }
});

/// The typesetter harta-app calls.
#[derive(Debug, Clone, Copy, Default)]
pub struct Letters;

impl Letters {
    /// A typesetter, ready to share.
    pub fn shared() -> Arc<dyn Typeset> {
        Arc::new(Self)
    }
}

impl Typeset for Letters {
    fn html(&self, l: &Letter) -> String {
        let paragraphs = |text: &str| {
            text.lines()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| format!("<p>{}</p>", escape(p)))
                .collect::<String>()
        };
        let to = l.to.iter().map(|line| escape(line)).collect::<Vec<_>>().join("<br>");
        let number = if l.number.is_empty() { String::new() } else { format!("Изх. № {} / ", escape(&l.number)) };
        let c = &l.contact;
        let appeal = l.appeal.as_deref().map_or_else(String::new, |a| format!("<h2>Обжалване</h2>{}", paragraphs(a)));
        let contact = [
            ("Служител", &c.officer),
            ("Служебен номер", &c.employee_number),
            ("Звено", &c.unit),
            ("Пряк телефон", &c.direct_phone),
            ("Централа", &c.switchboard),
            ("Електронна поща", &c.email),
            ("Интернет страница", &c.website),
        ]
        .iter()
        .map(|(label, value)| format!("<div><dt>{label}</dt><dd>{}</dd></div>", escape(value)))
        .collect::<String>();
        format!(
            "<article class=\"letter\" lang=\"bg\">\
             <p class=\"letter-from\"><strong>{admin}</strong><br>{address}</p>\
             <p class=\"letter-ref\">{number}{date}<br>Вх. № {reference}</p>\
             <p class=\"letter-to\">{to}</p>\
             <p><strong>Относно:</strong> {subject}</p>\
             {body}\
             <h2>Какво трябва да направите</h2>{next}\
             {appeal}\
             <p class=\"letter-signature\">С уважение,<br><strong>{officer}</strong><br>{position}</p>\
             <h2>За контакт</h2><dl class=\"summary\">{contact}</dl>\
             </article>",
            admin = escape(&l.administration),
            address = escape(&l.address),
            date = date_bg(l.issued_on),
            reference = escape(&l.reference),
            subject = escape(&l.subject),
            body = paragraphs(&l.body),
            next = paragraphs(&l.next),
            officer = escape(&c.officer),
            position = escape(&c.position),
        )
    }

    fn pdf(&self, letter: &Letter) -> Result<Vec<u8>, String> {
        let world = Sheets::letter(letter)?;
        let standards = PdfStandards::new(&[PdfStandard::A_2b]).map_err(|e| e.message().to_string())?;
        let options = PdfOptions {
            ident: typst::foundations::Smart::Custom(letter.number.clone()),
            standards,
            ..PdfOptions::default()
        };
        world.typeset(&options)
    }

    fn receipt(&self, receipt: &Receipt) -> Result<Vec<u8>, String> {
        Sheets::receipt(receipt)?.typeset(&PdfOptions::default())
    }

    fn bundle(&self, pdfs: &[Vec<u8>]) -> Result<Vec<u8>, String> {
        Sheets::bundle(pdfs)?.typeset(&PdfOptions::default())
    }

    fn report(&self, report: &Report) -> Result<Vec<u8>, String> {
        let standards = PdfStandards::new(&[PdfStandard::A_2b]).map_err(|e| e.message().to_string())?;
        Sheets::report(report)?.typeset(&PdfOptions { standards, ..PdfOptions::default() })
    }
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A document's world: its main source and the files it reads (`letter.json`; or the PDFs of a
/// print run and their list).
struct Sheets {
    main: Source,
    files: Vec<(FileId, Bytes)>,
}

fn file(path: &str) -> Result<FileId, String> {
    let vpath = VirtualPath::new(path).map_err(|e| format!("{path}: {e:?}"))?;
    Ok(FileId::new(RootedPath::new(VirtualRoot::Project, vpath)))
}

impl Sheets {
    /// One letter: the template as its main file and the letter as `letter.json`.
    fn letter(l: &Letter) -> Result<Self, String> {
        let c = &l.contact;
        let data = serde_json::json!({
            "administration": l.administration,
            "address": l.address,
            "number": l.number,
            "date": date_bg(l.issued_on),
            "year": l.issued_on.year(),
            "month": l.issued_on.month(),
            "day": l.issued_on.day(),
            "reference": l.reference,
            "to": l.to,
            "subject": l.subject,
            "body": l.body.lines().map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>(),
            "next": l.next.lines().map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>(),
            "appeal": l.appeal.as_deref().map(|a| a.lines().map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>()),
            "officer": c.officer,
            "position": c.position,
            "contact": [
                ["Служител", c.officer], ["Служебен номер", c.employee_number], ["Звено", c.unit],
                ["Пряк телефон", c.direct_phone], ["Централа", c.switchboard],
                ["Електронна поща", c.email], ["Интернет страница", c.website],
            ],
        });
        Ok(Self {
            main: Source::new(file("/main.typ")?, TEMPLATE.to_string()),
            files: vec![(file("/letter.json")?, Bytes::new(data.to_string().into_bytes()))],
        })
    }

    /// A return receipt: its template as the main file and its words as `receipt.json`.
    fn receipt(r: &Receipt) -> Result<Self, String> {
        let data = serde_json::json!({
            "administration": r.administration,
            "address": r.address,
            "to": r.to,
            "number": r.letter_number,
            "date": date_bg(r.issued_on),
            "case": r.case_number,
        });
        Ok(Self {
            main: Source::new(file("/main.typ")?, RECEIPT.to_string()),
            files: vec![(file("/receipt.json")?, Bytes::new(data.to_string().into_bytes()))],
        })
    }

    /// A report: its template as the main file and the report as `report.json`.
    fn report(r: &Report) -> Result<Self, String> {
        let data = serde_json::to_vec(r).map_err(|e| e.to_string())?;
        Ok(Self {
            main: Source::new(file("/main.typ")?, REPORT.to_string()),
            files: vec![(file("/report.json")?, Bytes::new(data))],
        })
    }

    /// A print run: every page of every PDF, in order. Each PDF's pages are counted by
    /// hayro-syntax, the PDF reader Typst itself embeds PDFs with.
    fn bundle(pdfs: &[Vec<u8>]) -> Result<Self, String> {
        let mut files = Vec::with_capacity(pdfs.len() + 1);
        let mut list = Vec::with_capacity(pdfs.len());
        for (i, pdf) in pdfs.iter().enumerate() {
            let pages = hayro_syntax::Pdf::new(pdf.clone())
                .map_err(|e| format!("letter {} of the run is not a PDF: {e:?}", i + 1))?
                .pages()
                .len();
            let path = format!("/letter-{i}.pdf");
            list.push(serde_json::json!({ "file": path, "pages": pages }));
            files.push((file(&path)?, Bytes::new(pdf.clone())));
        }
        files.push((file("/bundle.json")?, Bytes::new(serde_json::Value::from(list).to_string().into_bytes())));
        Ok(Self { main: Source::new(file("/main.typ")?, BUNDLE.to_string()), files })
    }

    fn typeset(&self, options: &PdfOptions) -> Result<Vec<u8>, String> {
        let messages = |errors: &[typst::diag::SourceDiagnostic]| {
            errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("; ")
        };
        let document = typst::compile::<PagedDocument>(self).output.map_err(|e| messages(&e))?;
        let pdf = typst_pdf::pdf(&document, options).map_err(|e| messages(&e));
        // Typst memoises its work in a process-wide cache that only grows unless told: what
        // the last few documents did not use is dropped (as Typst's own watch mode does), so
        // a server that issues letters all day keeps what the next letter reuses (fonts,
        // the template's layout) and not every letter it ever made.
        typst::comemo::evict(KEPT_FOR);
        pdf
    }
}

impl World for Sheets {
    fn library(&self) -> &LazyHash<Library> {
        &SHARED.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &SHARED.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() { Ok(self.main.clone()) } else { Err(FileError::NotSource) }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files.iter().find(|(f, _)| *f == id).map(|(_, bytes)| bytes.clone()).ok_or(FileError::AccessDenied)
    }

    fn font(&self, index: usize) -> Option<Font> {
        SHARED.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        // The letter's date is in its data; the template never asks for today.
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use harta_domain::letters::ContactBlock;

    use super::*;

    fn letter() -> Letter {
        Letter {
            administration: "Район „Красно село“, Столична община".into(),
            address: "гр. София 1612, бул. „Цар Борис III“ № 124".into(),
            number: "РКС26-ГР94-15/1".into(),
            issued_on: jiff::civil::date(2026, 11, 26),
            reference: "РКС26-ГР94-15 / 25.11.2026".into(),
            to: vec!["Мария Иванова".into(), "ул. „Хубча“ 5".into()],
            subject: "Отговор по вх. № РКС26-ГР94-15".into(),
            body: "Поправихме лампата.\n<script>#set page(width: 1cm)</script> и #emph[не].".into(),
            next: "Не е нужно да правите нищо.".into(),
            appeal: None,
            contact: ContactBlock {
                officer: "Петя Колева".into(),
                position: "главен експерт".into(),
                employee_number: "1042".into(),
                unit: "Център за административно обслужване".into(),
                direct_phone: "02/895 11 42".into(),
                switchboard: "02/895 11 00".into(),
                email: "p.koleva@krasnoselo.net".into(),
                website: "www.sofia.bg".into(),
            },
        }
    }

    #[test]
    fn the_html_escapes_every_text_and_carries_the_contact_block() {
        let html = Letters.html(&letter());
        assert!(html.contains("&lt;script&gt;#set page(width: 1cm)&lt;/script&gt;"), "{html}");
        assert!(!html.contains("<script>"));
        assert!(html.contains("Изх. № РКС26-ГР94-15/1 / 26.11.2026"));
        assert!(html.contains("<dt>Пряк телефон</dt><dd>02/895 11 42</dd>"));
        assert!(html.contains("<h2>Какво трябва да направите</h2><p>Не е нужно да правите нищо.</p>"));
        assert!(html.contains("С уважение,<br><strong>Петя Колева</strong><br>главен експерт</p>"), "{html}");
        assert!(!html.contains("Обжалване"), "only a refusal says how to appeal");
    }

    #[test]
    fn a_refusal_says_where_and_when_to_appeal_on_screen_and_on_paper() {
        let refusal = Letter {
            appeal: Some("Можете да обжалвате този отказ пред съда в 14-дневен срок.".into()),
            ..letter()
        };
        let html = Letters.html(&refusal);
        assert!(html.contains("<h2>Обжалване</h2><p>Можете да обжалвате този отказ пред съда в 14-дневен срок.</p>"));
        let plain = Letters.pdf(&letter()).unwrap();
        let with_appeal = Letters.pdf(&refusal).unwrap();
        assert!(with_appeal.len() > plain.len(), "the appeal is typeset");
    }

    #[test]
    fn the_pdf_is_a_pdf_a_with_the_words_as_text_not_markup() {
        let pdf = Letters.pdf(&letter()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"), "{:?}", &pdf[..8]);
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("pdfaid:part>2<") || text.contains("pdfaid:part=\"2\""), "PDF/A-2 metadata");
        // Typed Typst markup is printed, not obeyed: the page keeps its A4 width.
        assert!(text.contains("MediaBox[0 0 595.2"), "A4");
        assert!(pdf.len() > 5_000);
    }

    /// Where on the page (in millimetres from the top-left corner) each text run is.
    fn texts(frame: &typst::layout::Frame, at: typst::layout::Point, out: &mut Vec<(String, f64, f64)>) {
        for (pos, item) in frame.items() {
            let here = at + *pos;
            match item {
                typst::layout::FrameItem::Group(group) => {
                    let offset = typst::layout::Point::new(group.transform.tx, group.transform.ty);
                    texts(&group.frame, here + offset, out);
                }
                typst::layout::FrameItem::Text(text) => {
                    out.push((text.text.to_string(), here.x.to_mm(), here.y.to_mm()));
                }
                _ => {}
            }
        }
    }

    #[test]
    fn the_addressee_sits_in_the_window_of_a_dl_or_c5_envelope() {
        let world = Sheets::letter(&letter()).unwrap();
        let document = typst::compile::<PagedDocument>(&world).output.unwrap();
        let mut found = Vec::new();
        texts(&document.pages()[0].frame, typst::layout::Point::zero(), &mut found);
        // DIN 5008 form B's address field: 20–105 mm from the left, 45–90 mm from the top.
        for line in ["Мария", "Хубча"] {
            let (_, x, y) =
                found.iter().find(|(t, ..)| t.contains(line)).unwrap_or_else(|| panic!("{line}: {found:?}"));
            assert!((20.0..105.0).contains(x) && (45.0..90.0).contains(y), "{line} at {x:.1}, {y:.1} mm");
        }
        // The subject comes below the window.
        let (_, _, y) = found.iter().find(|(t, ..)| t.contains("Относно")).unwrap();
        assert!(*y > 90.0, "the subject at {y:.1} mm");
    }

    #[test]
    fn a_print_run_is_every_page_of_every_letter_in_order() {
        let long = Letter { body: "Дълъг отговор.\n".repeat(120), ..letter() };
        let (one, two) = (Letters.pdf(&letter()).unwrap(), Letters.pdf(&long).unwrap());
        let pages = |pdf: &[u8]| hayro_syntax::Pdf::new(pdf.to_vec()).unwrap().pages().len();
        assert_eq!(pages(&one), 1);
        assert!(pages(&two) >= 2);
        let run = Letters.bundle(&[one.clone(), two.clone(), one.clone()]).unwrap();
        assert_eq!(pages(&run), 2 + pages(&two));
        assert!(Letters.bundle(&[b"not a pdf".to_vec()]).is_err());
    }
}
