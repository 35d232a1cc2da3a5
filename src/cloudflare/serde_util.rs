//! Small serde helpers for the API's leniencies: `null` as "absent", optional RFC 3339 times.

use serde::{Deserialize, Deserializer};

/// Missing and `null` mean the same: the type's default.
pub(super) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Optional RFC 3339 timestamps: missing, `null` and `""` are all "not set".
pub(super) mod opt_time {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::super::token::api_time(*t)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Timestamp>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Ok(None),
            Some(s) => s
                .trim()
                .parse::<Timestamp>()
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}
