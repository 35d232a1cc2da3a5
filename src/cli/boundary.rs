//! Where clap stops: the command line's argument structs become the plain option types the
//! lifecycle and the stores take, and the plain enums get their `--flag` spellings. Nothing
//! below `cli/`, `args` and `commands/` imports clap or `crate::args`.

use clap::ValueEnum;
use clap::builder::PossibleValue;

use crate::args::{AuthArgs, CreateArgs, GlobalArgs, StoreArgs, ValueEncoding};
use crate::error::Error;
use crate::lifecycle::spec::TokenRequest;
use crate::lifecycle::{AuthSource, RunOptions};
use crate::permissions::presets::{PRESETS, Preset};
use crate::store::{KeyringBackend, Store, StoreSpec};

impl ValueEnum for KeyringBackend {
    fn value_variants<'a>() -> &'a [Self] {
        Self::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()).help(self.help()))
    }
}

impl ValueEnum for Preset {
    fn value_variants<'a>() -> &'a [Self] {
        PRESETS
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name).help(self.flag_help))
    }
}

impl From<&GlobalArgs> for RunOptions {
    fn from(g: &GlobalArgs) -> Self {
        Self {
            check: g.check,
            wait: g.wait,
            wait_timeout: g.wait_timeout,
            timeout: g.timeout,
        }
    }
}

impl From<&AuthArgs> for AuthSource {
    fn from(a: &AuthArgs) -> Self {
        Self {
            file: a.auth_file.clone().zip(a.auth_key.clone()),
            keyring: a.auth_keyring.clone(),
            keyring_backend: None,
            account_id: a.account_id.clone(),
        }
    }
}

impl From<&StoreArgs> for StoreSpec {
    fn from(a: &StoreArgs) -> Self {
        Self {
            file: a.file.clone(),
            key: a.key.clone(),
            keyring: a.keyring.clone(),
            keyring_backend: a.keyring_backend,
            age: a.age.clone(),
            k8s_secret: a.k8s_secret.clone(),
            encoding: a.encoding.map(|e| match e {
                ValueEncoding::Base64 => crate::store::k8s::Encoding::Base64,
                ValueEncoding::Raw => crate::store::k8s::Encoding::Raw,
            }),
            document: a.document.clone(),
        }
    }
}

impl Store {
    /// The store the flags name.
    pub(crate) fn from_args(args: &StoreArgs) -> Result<Self, Error> {
        Self::open(&args.into())
    }
}

impl<'a> From<&'a CreateArgs> for TokenRequest<'a> {
    fn from(a: &'a CreateArgs) -> Self {
        Self {
            name: &a.name,
            preset: a.preset,
            permission: &a.permission,
            zone: &a.zone,
            account: &a.account,
            expires_in: a.expires_in.as_deref(),
            expires_on: a.expires_on.as_deref(),
            not_before: a.not_before.as_deref(),
            allow_ip: &a.allow_ip,
            deny_ip: &a.deny_ip,
        }
    }
}
