//! The fixed world the tokens live in: one user, their accounts and zones,
//! and the user's Global API Key.

use rand::Rng;

use crate::config::Config;

#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Zone {
    pub id: String,
    pub name: String,
    pub account_id: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Directory {
    pub user_id: String,
    pub email: String,
    pub global_api_key: String,
    pub accounts: Vec<Account>,
    pub zones: Vec<Zone>,
}

impl Directory {
    pub(crate) fn from_config(c: &Config) -> Self {
        assert!(!c.accounts.is_empty(), "Config needs at least one account");
        let global_api_key = c.global_api_key.clone().unwrap_or_else(|| {
            let mut rng = rand::thread_rng();
            (0..37)
                .map(|_| char::from_digit(rng.gen_range(0..16), 16).unwrap_or('0'))
                .collect()
        });
        let default_account = c.accounts[0].1.clone();
        Directory {
            user_id: c.user_id.clone(),
            email: c.email.clone(),
            global_api_key,
            accounts: c
                .accounts
                .iter()
                .map(|(name, id)| Account {
                    id: id.clone(),
                    name: name.clone(),
                })
                .collect(),
            zones: c
                .zones
                .iter()
                .map(|(name, id)| Zone {
                    id: id.clone(),
                    name: name.clone(),
                    account_id: default_account.clone(),
                })
                .collect(),
        }
    }

    pub(crate) fn default_account(&self) -> &Account {
        &self.accounts[0]
    }

    pub(crate) fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }

    pub(crate) fn zone(&self, id: &str) -> Option<&Zone> {
        self.zones.iter().find(|z| z.id == id)
    }
}
