//! Sector and territory mixes of the generator: a weighted list of real NAF codes with
//! per-section economics, and département weights close to the distribution of French
//! companies.

/// Economics of a NAF section.
pub struct SectionEcon {
    /// Section letter.
    pub section: char,
    /// Multiplier of the distress-episode rate (construction and hospitality fail more).
    pub hazard: f64,
    /// Turnover per employee, k€ a year.
    pub productivity: f64,
    /// Value added / turnover.
    pub va_rate: f64,
    /// Total assets / turnover.
    pub assets_to_turnover: f64,
    /// Inventory, in days of turnover.
    pub inventory_days: f64,
    /// Monthly seasonal factors, January first (mean 1).
    pub season: [f64; 12],
}

const FLAT: [f64; 12] = [1.0; 12];

/// Per-section economics.
pub static SECTIONS: &[SectionEcon] = &[
    SectionEcon {
        section: 'A',
        hazard: 0.8,
        productivity: 180.0,
        va_rate: 0.35,
        assets_to_turnover: 1.5,
        inventory_days: 90.0,
        season: [0.8, 0.8, 0.9, 0.9, 1.0, 1.1, 1.2, 1.3, 1.3, 1.1, 0.8, 0.8],
    },
    SectionEcon {
        section: 'C',
        hazard: 0.9,
        productivity: 200.0,
        va_rate: 0.35,
        assets_to_turnover: 0.8,
        inventory_days: 45.0,
        season: [0.95, 1.0, 1.05, 1.05, 1.05, 1.05, 1.0, 0.75, 1.05, 1.05, 1.05, 0.95],
    },
    SectionEcon {
        section: 'F',
        hazard: 1.5,
        productivity: 130.0,
        va_rate: 0.40,
        assets_to_turnover: 0.6,
        inventory_days: 10.0,
        season: [0.85, 0.95, 1.05, 1.1, 1.1, 1.15, 1.1, 0.6, 1.1, 1.1, 1.0, 0.9],
    },
    SectionEcon {
        section: 'G',
        hazard: 1.1,
        productivity: 300.0,
        va_rate: 0.18,
        assets_to_turnover: 0.4,
        inventory_days: 40.0,
        season: [0.9, 0.85, 0.95, 0.95, 1.0, 1.0, 1.0, 0.9, 0.95, 1.0, 1.1, 1.4],
    },
    SectionEcon {
        section: 'H',
        hazard: 1.3,
        productivity: 160.0,
        va_rate: 0.40,
        assets_to_turnover: 0.7,
        inventory_days: 2.0,
        season: [0.95, 0.95, 1.0, 1.0, 1.0, 1.05, 1.0, 0.9, 1.0, 1.05, 1.05, 1.05],
    },
    SectionEcon {
        section: 'I',
        hazard: 1.6,
        productivity: 75.0,
        va_rate: 0.55,
        assets_to_turnover: 0.7,
        inventory_days: 5.0,
        season: [0.75, 0.8, 0.9, 1.0, 1.05, 1.2, 1.35, 1.35, 1.1, 0.95, 0.75, 0.8],
    },
    SectionEcon {
        section: 'J',
        hazard: 0.8,
        productivity: 160.0,
        va_rate: 0.55,
        assets_to_turnover: 0.6,
        inventory_days: 2.0,
        season: [1.0, 1.0, 1.05, 1.05, 1.05, 1.05, 1.0, 0.8, 1.0, 1.0, 1.0, 1.0],
    },
    SectionEcon {
        section: 'L',
        hazard: 0.7,
        productivity: 250.0,
        va_rate: 0.60,
        assets_to_turnover: 3.0,
        inventory_days: 0.0,
        season: FLAT,
    },
    SectionEcon {
        section: 'M',
        hazard: 0.8,
        productivity: 130.0,
        va_rate: 0.60,
        assets_to_turnover: 0.5,
        inventory_days: 1.0,
        season: [1.0, 1.0, 1.05, 1.05, 1.05, 1.05, 1.0, 0.75, 1.0, 1.05, 1.0, 1.0],
    },
    SectionEcon {
        section: 'N',
        hazard: 1.2,
        productivity: 90.0,
        va_rate: 0.60,
        assets_to_turnover: 0.4,
        inventory_days: 1.0,
        season: [1.0, 1.0, 1.0, 1.0, 1.05, 1.05, 1.0, 0.85, 1.0, 1.05, 1.0, 1.0],
    },
    SectionEcon {
        section: 'Q',
        hazard: 0.5,
        productivity: 110.0,
        va_rate: 0.65,
        assets_to_turnover: 0.6,
        inventory_days: 2.0,
        season: FLAT,
    },
    SectionEcon {
        section: 'R',
        hazard: 1.2,
        productivity: 100.0,
        va_rate: 0.50,
        assets_to_turnover: 0.9,
        inventory_days: 3.0,
        season: [1.2, 1.1, 1.05, 1.0, 1.0, 0.95, 0.9, 0.7, 1.05, 1.05, 1.0, 1.0],
    },
    SectionEcon {
        section: 'S',
        hazard: 1.0,
        productivity: 70.0,
        va_rate: 0.60,
        assets_to_turnover: 0.5,
        inventory_days: 10.0,
        season: [0.9, 0.95, 1.0, 1.0, 1.0, 1.05, 1.0, 0.75, 1.0, 1.05, 1.05, 1.25],
    },
];

/// Weighted NAF codes (weights in ‰ of companies, roughly).
pub static NAF_CODES: &[(&str, f64)] = &[
    ("01.11Z", 2.0),
    ("10.71C", 4.0),
    ("25.62B", 3.0),
    ("22.22Z", 1.0),
    ("28.29B", 1.0),
    ("16.10A", 1.0),
    ("31.09B", 1.0),
    ("33.12Z", 1.0),
    ("41.20A", 3.0),
    ("43.21A", 4.0),
    ("43.22A", 4.0),
    ("43.31Z", 2.0),
    ("43.32A", 2.0),
    ("43.34Z", 3.0),
    ("43.99C", 3.0),
    ("45.20A", 3.0),
    ("46.90Z", 3.0),
    ("47.11B", 2.0),
    ("47.71Z", 3.0),
    ("47.73Z", 2.0),
    ("47.91A", 1.0),
    ("49.41A", 3.0),
    ("49.32Z", 1.0),
    ("52.29A", 1.0),
    ("55.10Z", 2.0),
    ("56.10A", 6.0),
    ("56.10C", 3.0),
    ("56.30Z", 2.0),
    ("62.01Z", 3.0),
    ("62.02A", 2.0),
    ("58.11Z", 0.5),
    ("68.20B", 2.0),
    ("68.31Z", 2.0),
    ("69.20Z", 2.0),
    ("70.22Z", 3.0),
    ("71.12B", 2.0),
    ("73.11Z", 1.0),
    ("78.20Z", 1.0),
    ("81.21Z", 2.0),
    ("82.99Z", 1.0),
    ("86.23Z", 1.0),
    ("88.10A", 1.0),
    ("93.13Z", 1.0),
    ("96.02A", 3.0),
    ("95.11Z", 0.5),
];

/// Départements with more companies than the default weight of 1.
pub static DEPARTEMENT_WEIGHTS: &[(&str, f64)] = &[
    ("75", 8.0),
    ("92", 5.0),
    ("69", 5.0),
    ("13", 5.0),
    ("59", 5.0),
    ("33", 4.0),
    ("31", 4.0),
    ("93", 3.5),
    ("94", 3.0),
    ("06", 3.5),
    ("44", 3.0),
    ("34", 3.0),
    ("67", 3.0),
    ("78", 3.0),
    ("91", 3.0),
    ("95", 2.5),
    ("77", 3.0),
    ("35", 2.5),
    ("38", 3.0),
    ("76", 2.5),
    ("62", 2.5),
    ("83", 2.5),
    ("57", 2.0),
    ("54", 1.5),
    ("21", 1.5),
    ("25", 1.5),
    ("974", 1.2),
    ("971", 0.8),
    ("972", 0.8),
    ("973", 0.5),
    ("976", 0.4),
    ("975", 0.1),
];

/// The economics of a section (falls back to services).
pub fn econ(section: char) -> &'static SectionEcon {
    SECTIONS.iter().find(|s| s.section == section).unwrap_or(&SECTIONS[SECTIONS.len() - 1])
}
