//! The people and organisations that cases are about.

names! {
    /// A person or an organisation (NGO, firm).
    PartyKind {
        /// A natural person.
        Person => "person",
        /// An NGO, a firm, another institution.
        Organisation => "organisation",
    }
}

names! {
    /// Which personal number a person gave: a citizen's ЕГН or a foreigner's ЛНЧ (asked, never
    /// guessed from the digits).
    NationalIdKind {
        /// ЕГН.
        Egn => "egn",
        /// ЛНЧ.
        Lnch => "lnch",
    }
}
