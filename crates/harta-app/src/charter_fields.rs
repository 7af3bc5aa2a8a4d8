//! The charter's common fields edited as a form (contacts, deadlines, reception hours, units)
//! rather than as its text: the values are written into the stored text with `toml_edit`, which
//! keeps its comments and layout, and the result goes through [`App::update_charter`] and all
//! its checks, as a text edit would.

use toml_edit::{DocumentMut, Item, Table, value};

use crate::access::{Action, Principal};
use crate::{App, AppError, FieldError};

/// The charter's common fields as typed; each is the text of its form field.
#[derive(Debug, Clone, Default)]
pub struct CharterFields {
    /// The administration's address in Bulgarian.
    pub address_bg: String,
    /// …and in English.
    pub address_en: String,
    /// The switchboard.
    pub switchboard: String,
    /// The fax (empty: none).
    pub fax: String,
    /// The general e-mail address.
    pub email: String,
    /// The web site.
    pub website: String,
    /// Working days left at which a case shows "at risk".
    pub at_risk_working_days: String,
    /// How many working days back a date of receipt may be set without approval.
    pub backdate_working_days: String,
    /// The unit of cases registered without one.
    pub default_unit: String,
    /// Per kind of case (`letter`…): the working days of its commitment.
    pub working_days: Vec<(String, String)>,
    /// The default reception hours of the units, one period a line: `monday 13:00-17:00`.
    pub reception: String,
    /// The units: code (existing ones keep theirs; a new one may be added), names, phone.
    pub units: Vec<UnitFields>,
}

/// A unit's fields.
#[derive(Debug, Clone, Default)]
pub struct UnitFields {
    /// Its code (a new unit's is typed; existing ones keep theirs).
    pub code: String,
    /// Its name in Bulgarian.
    pub name_bg: String,
    /// …and in English.
    pub name_en: String,
    /// Its own telephone (empty: none).
    pub phone: String,
}

/// The week's days as the charter names them.
const DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

impl App {
    /// The stored charter's common fields (administrators), and its version.
    pub async fn charter_fields(&self, who: &Principal) -> Result<(i64, CharterFields), AppError> {
        who.require(Action::EditCharter)?;
        let charter = self.charter();
        let (version, _) = self.charter_to_edit(who).await?;
        let a = &charter.administration;
        let reception = charter
            .default_reception
            .iter()
            .map(|r| {
                let day = DAYS[usize::try_from(r.day.to_monday_zero_offset()).unwrap_or_default() % 7];
                format!("{day} {}-{}", r.from.strftime("%H:%M"), r.to.strftime("%H:%M"))
            })
            .collect::<Vec<_>>()
            .join("\n");
        let fields = CharterFields {
            address_bg: a.address.bg.clone(),
            address_en: a.address.en.clone(),
            switchboard: a.switchboard.national(),
            fax: a.fax.as_ref().map(|f| f.national()).unwrap_or_default(),
            email: a.email.as_str().to_string(),
            website: a.website.clone(),
            at_risk_working_days: charter.at_risk_working_days.to_string(),
            backdate_working_days: charter.backdate_working_days.to_string(),
            default_unit: charter.default_unit.clone(),
            working_days: charter
                .commitments
                .iter()
                .map(|(k, c)| (k.as_str().to_string(), c.working_days.get().to_string()))
                .collect(),
            reception,
            units: charter
                .units
                .iter()
                .map(|u| UnitFields {
                    code: u.code.clone(),
                    name_bg: u.name.bg.clone(),
                    name_en: u.name.en.clone(),
                    phone: u.phone.as_ref().map(|p| p.national()).unwrap_or_default(),
                })
                .collect(),
        };
        Ok((version, fields))
    }

    /// Writes the common fields into the stored charter (keeping everything else of its text)
    /// and puts it in force, with every check of a text edit; `based_on` as there.
    pub async fn update_charter_fields(
        &self,
        who: &Principal,
        f: &CharterFields,
        based_on: i64,
    ) -> Result<(), AppError> {
        let (_, text) = self.charter_to_edit(who).await?;
        let mut doc: DocumentMut = text.parse().map_err(AppError::internal)?;
        let mut errors = Vec::new();
        let number = |field: &str, typed: &str, errors: &mut Vec<FieldError>| match typed.trim().parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                errors.push(FieldError::new(field, "must be a whole number").with_code("not_a_number"));
                None
            }
        };
        {
            let admin = table(&mut doc, "administration")?;
            set_text(admin, "address", Some((&f.address_bg, &f.address_en)));
            admin["switchboard"] = value(f.switchboard.trim());
            match f.fax.trim() {
                "" => drop(admin.remove("fax")),
                fax => admin["fax"] = value(fax),
            }
            admin["email"] = value(f.email.trim());
            admin["website"] = value(f.website.trim());
        }
        {
            let at_risk = number("deadlines.at_risk_working_days", &f.at_risk_working_days, &mut errors);
            let back = number("deadlines.backdate_working_days", &f.backdate_working_days, &mut errors);
            let deadlines = table(&mut doc, "deadlines")?;
            if let Some(n) = at_risk {
                deadlines["at_risk_working_days"] = value(n);
            }
            if let Some(n) = back {
                deadlines["backdate_working_days"] = value(n);
            }
            deadlines["default_unit"] = value(f.default_unit.trim());
        }
        for (kind, days) in &f.working_days {
            let field = format!("commitments.{kind}.working_days");
            if let Some(n) = number(&field, days, &mut errors) {
                table(table(&mut doc, "commitments")?, kind)?["working_days"] = value(n);
            }
        }
        match reception(&f.reception) {
            Ok(periods) => table(&mut doc, "reception")?["default"] = Item::Value(periods.into()),
            Err(e) => errors.push(e),
        }
        set_units(&mut doc, &f.units);
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        self.update_charter(who, &doc.to_string(), Some(based_on)).await
    }
}

/// The table under `key` (made if missing; an inline `key = { … }` becomes a table).
fn table<'a>(parent: &'a mut Table, key: &str) -> Result<&'a mut Table, AppError> {
    let item = parent.entry(key).or_insert_with(toml_edit::table);
    if let Some(inline) = item.as_inline_table().cloned() {
        *item = Item::Table(inline.into_table());
    }
    item.as_table_mut().ok_or_else(|| AppError::internal(format!("the charter's {key} is not a table")))
}

/// `key = { bg = …, en = … }`.
fn set_text(t: &mut Table, key: &str, text: Option<(&str, &str)>) {
    if let Some((bg, en)) = text {
        let mut inline = toml_edit::InlineTable::new();
        inline.insert("bg", bg.trim().into());
        inline.insert("en", en.trim().into());
        t[key] = Item::Value(inline.into());
    }
}

/// The reception lines as the charter's array of periods.
fn reception(text: &str) -> Result<toml_edit::Array, FieldError> {
    let mut periods = toml_edit::Array::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let bad = || {
            FieldError::new("reception.default", format!("\"{line}\" is not like monday 13:00-17:00"))
                .with_code("reception")
        };
        let (day, hours) = line.split_once(' ').ok_or_else(bad)?;
        let day = day.trim().to_lowercase();
        let (from, to) = hours.trim().split_once('-').ok_or_else(bad)?;
        if !DAYS.contains(&day.as_str()) {
            return Err(bad());
        }
        let mut period = toml_edit::InlineTable::new();
        period.insert("day", day.into());
        period.insert("from", from.trim().into());
        period.insert("to", to.trim().into());
        periods.push(period);
    }
    Ok(periods)
}

/// Each unit's names and phone set in its `[[units]]` entry; a unit with a code not yet there
/// is added.
fn set_units(doc: &mut DocumentMut, units: &[UnitFields]) {
    if !doc.get("units").is_some_and(Item::is_array_of_tables) {
        doc["units"] = Item::ArrayOfTables(toml_edit::ArrayOfTables::new());
    }
    let Some(stored) = doc.get_mut("units").and_then(Item::as_array_of_tables_mut) else { return };
    for u in units.iter().filter(|u| !u.code.trim().is_empty()) {
        let code = u.code.trim();
        let at = stored.iter().position(|t| t.get("code").and_then(Item::as_str) == Some(code));
        let entry = match at {
            Some(i) => stored.get_mut(i),
            None => {
                let mut new = Table::new();
                new["code"] = value(code);
                stored.push(new);
                stored.iter_mut().last()
            }
        };
        let Some(entry) = entry else { continue };
        set_text(entry, "name", Some((&u.name_bg, &u.name_en)));
        match u.phone.trim() {
            "" => drop(entry.remove("phone")),
            phone => entry["phone"] = value(phone),
        }
    }
}
