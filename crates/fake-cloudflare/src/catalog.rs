//! The permission-group catalog: every (name, id, scope) listed in the API
//! reference §3. Names are not unique across scopes ("Access: Apps and
//! Policies Write" exists at account and zone scope with different ids), so
//! lookups by name always take a scope.

pub const SCOPE_USER: &str = "com.cloudflare.api.user";
pub const SCOPE_ACCOUNT: &str = "com.cloudflare.api.account";
pub const SCOPE_ZONE: &str = "com.cloudflare.api.account.zone";
pub const SCOPE_R2_BUCKET: &str = "com.cloudflare.edge.r2.bucket";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PermissionGroup {
    pub id: &'static str,
    pub name: &'static str,
    pub scope: &'static str,
}

pub(crate) const API_TOKENS_READ: &str = "0cc3a61731504c89b99ec1be78b77aa0";
pub(crate) const API_TOKENS_WRITE: &str = "686d18d5ac6c441c867cbf6771e58a0a";
pub(crate) const ACCOUNT_API_TOKENS_READ: &str = "eb56a6953c034b9d97dd838155666f06";
pub(crate) const ACCOUNT_API_TOKENS_WRITE: &str = "5bc3f8b21c554832afc660159ab75fa4";
pub(crate) const ACCOUNT_SETTINGS_READ: &str = "c1fde68c7bcc44588cbb6ddbc16d6480";
pub(crate) const ZONE_READ: &str = "c8fed203ed3043cba015a93ad1616f1f";

const fn g(id: &'static str, name: &'static str, scope: &'static str) -> PermissionGroup {
    PermissionGroup { id, name, scope }
}

const U: &str = SCOPE_USER;
const A: &str = SCOPE_ACCOUNT;
const Z: &str = SCOPE_ZONE;
const R2: &str = SCOPE_R2_BUCKET;

pub(crate) static CATALOG: &[PermissionGroup] = &[
    // user
    g(API_TOKENS_READ, "API Tokens Read", U),
    g(API_TOKENS_WRITE, "API Tokens Write", U),
    g("3518d0f75557482e952c6762d3e64903", "Memberships Read", U),
    g("9201bc6f42d440968aaab0c6f17ebb1d", "Memberships Write", U),
    g("8acbe5bb0d54464ab867149d7f7cf8ac", "User Details Read", U),
    g("55a5e17cc99e4a3fa1f3432d262f2e55", "User Details Write", U),
    // account
    g(ACCOUNT_SETTINGS_READ, "Account Settings Read", A),
    g(
        "1af1fa2adc104452b74a9a3364202f20",
        "Account Settings Write",
        A,
    ),
    g(ACCOUNT_API_TOKENS_READ, "Account API Tokens Read", A),
    g(ACCOUNT_API_TOKENS_WRITE, "Account API Tokens Write", A),
    g(
        "1a71c399035b4950a1bd1466bbe4f420",
        "Workers Scripts Read",
        A,
    ),
    g(
        "e086da7e2179491d91ee5f35b3ca210a",
        "Workers Scripts Write",
        A,
    ),
    g(
        "8b47d2786a534c08a1f94ee8f9f599ef",
        "Workers KV Storage Read",
        A,
    ),
    g(
        "f7f0eda5697f475c90846e879bab8666",
        "Workers KV Storage Write",
        A,
    ),
    g(
        "b4992e1108244f5d8bfbd5744320c2e1",
        "Workers R2 Storage Read",
        A,
    ),
    g(
        "bf7481a1826f439697cb59a20b22293e",
        "Workers R2 Storage Write",
        A,
    ),
    g("09b2857d1c31407795e75e3fed8617a1", "D1 Write", A),
    g("8d28297797f24fb8a0c332fe0866ec89", "Pages Write", A),
    g(
        "b89a480218d04ceb98b4fe57ca29dc1f",
        "Account Analytics Read",
        A,
    ),
    g(
        "efea2ab8357b47888938f101ae5e053f",
        "Cloudflare Tunnel Read",
        A,
    ),
    g(
        "c07321b023e944ff818fec44d8203567",
        "Cloudflare Tunnel Write",
        A,
    ),
    g("ad99c5ae555e45c4bef5bdf2678388ba", "Workers CI Read", A),
    g("2e095cf436e2455fa62c9a9c2e18c478", "Workers CI Write", A),
    g("7cf72faf220841aabcfdfab81c43c4f6", "Billing Read", A),
    g("6c80e02421494afc9ae14414ed442632", "Billing Write", A),
    g(
        "9d24387c6e8544e2bc4024a03991339f",
        "Load Balancing: Monitors and Pools Read",
        A,
    ),
    g(
        "d2a1802cc9a34e30852f8b33869b2f3c",
        "Load Balancing: Monitors and Pools Write",
        A,
    ),
    g("5f48a472240a4b489a21d43bd19a06e1", "DNS Firewall Read", A),
    g("da6d2d6f2ec8442eaadda60d13f42bca", "DNS Firewall Write", A),
    g("de21485a24744b76a004aa153898f7fe", "Stream Read", A),
    g("714f9c13a5684c2885a793f5edb36f59", "Stream Write", A),
    g("3f376c8e6f764a938b848bd01c8995c4", "Zero Trust Read", A),
    g("b33f02c6f7284e05a6f20741c0bb0567", "Zero Trust Write", A),
    g("efb81b5cd37d49f3be1da9363a6d7a19", "Zero Trust Report", A),
    g(
        "26bc23f853634eb4bff59983b9064fde",
        "Access: Organizations, Identity Providers, and Groups Read",
        A,
    ),
    g(
        "bfe0d8686a584fa680f4c53b5eb0de6d",
        "Access: Organizations, Identity Providers, and Groups Write",
        A,
    ),
    g(
        "a1c0fec57cf94af79479a6d827fa518c",
        "Access: Service Tokens Write",
        A,
    ),
    g(
        "de7a688cc47d43bd9ea700b467a09c96",
        "Account Firewall Access Rules Read",
        A,
    ),
    g(
        "a416acf9ef5a4af19fb11ed3b96b1fe6",
        "Account Firewall Access Rules Write",
        A,
    ),
    // The 2020 table calls 1e13c… zone-scoped; 2026 notes say it is the
    // account-scoped one and 959972… is its zone twin. The fake follows 2026.
    g(
        "1e13c5124ca64b72b1969a67e8829049",
        "Access: Apps and Policies Write",
        A,
    ),
    // zone
    g(ZONE_READ, "Zone Read", Z),
    g("e6d2666161e84845a636613608cee8d5", "Zone Write", Z),
    g("82e64a83756745bbbb1c9c2701bf816b", "DNS Read", Z),
    g("4755a26eedb94da69e1066d98aa820be", "DNS Write", Z),
    g("517b21aee92c4d89936c976ba6e4be55", "Zone Settings Read", Z),
    g("3030687196b94b638145a3953da2b699", "Zone Settings Write", Z),
    g(
        "7b7216b327b04b8fbc8f524e1f9b7531",
        "SSL and Certificates Read",
        Z,
    ),
    g(
        "c03055bc037c4ea9afb9a9f104b7b721",
        "SSL and Certificates Write",
        Z,
    ),
    g("2072033d694d415a936eaeb94e6405b8", "Workers Routes Read", Z),
    g(
        "28f4b596e7d643029c524985477ae49a",
        "Workers Routes Write",
        Z,
    ),
    g("e17beae8b8cb423a99b1730f21238bed", "Cache Purge", Z),
    g("9c88f9c5bce24ce7af9a958ba9c504db", "Analytics Read", Z),
    g(
        "4ec32dfcb35641c5bb32d5ef1ab963b4",
        "Firewall Services Read",
        Z,
    ),
    g(
        "43137f8d07884d3198dc0ee77ca6e79b",
        "Firewall Services Write",
        Z,
    ),
    g("b415b70a4fd1412886f164451f20405c", "Page Rules Read", Z),
    g("ed07f6c337da4195b4e72a1fb2c6bcae", "Page Rules Write", Z),
    g("e9a975f628014f1d85b723993116f7d5", "Load Balancers Read", Z),
    g(
        "6d7f2f5f5b1d4a0e9081fdc98d432fd1",
        "Load Balancers Write",
        Z,
    ),
    g("c4a30cd58c5d42619c86a3c36c441e2d", "Logs Read", Z),
    g("3e0b5820118e47f3922f7c989e673882", "Logs Write", Z),
    g(
        "7ea222f6d5064cfa89ea366d7c1fee89",
        "Access: Apps and Policies Read",
        Z,
    ),
    g(
        "959972745952452f8be2452be8cbb9f2",
        "Access: Apps and Policies Write",
        Z,
    ),
    g("5bdbde7e76144204a244274eac3eb0eb", "Zaraz Read", Z),
    // R2 bucket items
    g(
        "6a018a9f2fc74eb6b293b0c548f38b39",
        "Workers R2 Storage Bucket Item Read",
        R2,
    ),
    g(
        "2efd5506f9c8494dacb1fa10a3e7d5b6",
        "Workers R2 Storage Bucket Item Write",
        R2,
    ),
];

/// The whole catalog, in a stable order.
pub fn permission_groups() -> &'static [PermissionGroup] {
    CATALOG
}

pub(crate) fn by_id(id: &str) -> Option<&'static PermissionGroup> {
    CATALOG.iter().find(|g| g.id == id)
}

/// The group called `name` at `scope`; names alone are ambiguous.
pub fn find(name: &str, scope: &str) -> Option<&'static PermissionGroup> {
    CATALOG.iter().find(|g| g.name == name && g.scope == scope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for g in CATALOG {
            assert!(crate::secrets::is_id(g.id), "{}", g.id);
            assert!(seen.insert(g.id), "duplicate id {}", g.id);
        }
    }

    #[test]
    fn names_are_unique_per_scope_but_not_globally() {
        let mut seen = HashSet::new();
        for g in CATALOG {
            assert!(seen.insert((g.name, g.scope)), "{} twice", g.name);
        }
        let a = find("Access: Apps and Policies Write", SCOPE_ACCOUNT).unwrap();
        let z = find("Access: Apps and Policies Write", SCOPE_ZONE).unwrap();
        assert_ne!(a.id, z.id);
    }
}
