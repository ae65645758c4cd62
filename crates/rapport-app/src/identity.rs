//! People and how they sign in (docs/security.md): users with roles, API
//! tokens (256 random bits, stored as their SHA-256, shown once), passwords
//! (Argon2id, OWASP's parameters), browser sessions opened with either, and
//! the rules of who may see and change what, applied here so every surface
//! applies the same ones.

use rapport_core::access::{Permission, Person, Role};
use rapport_core::{Account, Timestamp};
use rapport_store::audit::{AuditAction, AuditDraft};
use rapport_store::identity::{ApiToken, NewToken, Session, User, UserChange};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::tracking::{hex, random_bytes};
use crate::{App, AppError, AppResult};

/// How long a browser session lasts from sign-in.
pub const SESSION_HOURS: i64 = 12;
/// How long the sign-in link printed at first start (and by
/// `rapport users sign-in-link`) may be used, once.
pub const SIGN_IN_LINK_HOURS: i64 = 24;
/// A token's last use is written at most this often (a busy client would
/// otherwise turn every read into a write).
const TOUCH_EVERY_MS: i64 = 60_000;
/// The longest name or e-mail address a user may have.
pub const MAX_NAME_CHARS: usize = 200;
/// How an API token (and a session's secret) begins.
pub const TOKEN_PREFIX: &str = "rpt_";
const PREFIX_CHARS: usize = 12;
/// The shortest password (NIST SP 800-63B asks at least 8; a passphrase is
/// easier to remember than a short password with symbols).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password (hashing cost grows with the length).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Password sign-ins per user name: this many a minute, this many at once;
/// beyond, 429 (a guesser is slowed to a crawl, a person who mistypes is not).
pub const PASSWORD_ATTEMPTS: crate::limits::RateLimit = crate::limits::RateLimit {
    per_minute: 5,
    burst: 10,
};

/// A user as listed (never a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserListing {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub role: Role,
    pub created_at: Timestamp,
    pub disabled_at: Option<Timestamp>,
    /// Whether the user may sign in with a password (never the hash).
    pub has_password: bool,
}

impl From<User> for UserListing {
    fn from(user: User) -> Self {
        UserListing {
            id: user.id,
            has_password: user.password_hash.is_some(),
            name: user.name,
            email: user.email,
            role: user.role,
            created_at: user.created_at,
            disabled_at: user.disabled_at,
        }
    }
}

/// A token as listed (its prefix, never the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenListing {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub single_use: bool,
}

impl From<ApiToken> for TokenListing {
    fn from(token: ApiToken) -> Self {
        TokenListing {
            id: token.id,
            user_id: token.user_id,
            name: token.name,
            prefix: token.prefix,
            created_at: token.created_at,
            expires_at: token.expires_at,
            last_used_at: token.last_used_at,
            revoked_at: token.revoked_at,
            single_use: token.single_use,
        }
    }
}

/// A token just made: the only time the token itself is shown.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewApiToken {
    pub token: String,
    #[serde(flatten)]
    pub listing: TokenListing,
    pub user: String,
}

/// A session just opened: the cookie's value and the CSRF token a page
/// sends back with every change.
#[derive(Debug, Clone)]
pub struct OpenedSession {
    pub secret: String,
    pub csrf: String,
    pub person: Person,
    pub expires_at: Timestamp,
}

/// The first administrator, made at first start, and their sign-in link's token.
#[derive(Debug, Clone)]
pub struct FirstAdmin {
    pub user: UserListing,
    pub sign_in_token: String,
}

/// The SHA-256 a token or a session is stored as.
pub fn secret_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.trim().as_bytes()).into()
}

/// The CSRF token of a session: derived from the session's secret, which a
/// page of another site cannot read (the cookie is HttpOnly), so it cannot
/// derive it either; nothing more is stored.
pub fn csrf_token(session_secret: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(b"rapport csrf\0");
    digest.update(session_secret.trim().as_bytes());
    hex(&digest.finalize())
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(left: &str, right: &str) -> bool {
    let (left, right) = (left.as_bytes(), right.as_bytes());
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

fn new_secret() -> AppResult<String> {
    Ok(format!("{TOKEN_PREFIX}{}", hex(&random_bytes::<32>()?)))
}

fn hours(count: i64) -> i64 {
    count * 3_600_000
}

fn checked_name(field: &str, text: &str) -> AppResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::invalid(field, "must not be empty"));
    }
    if text.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid(
            field,
            format!("at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(AppError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(text.to_string())
}

fn checked_email(text: Option<&str>) -> AppResult<Option<String>> {
    let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    let text = checked_name("email", text)?;
    match text.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !text.contains(char::is_whitespace) =>
        {
            Ok(Some(text))
        }
        _ => Err(AppError::invalid(
            "email",
            format!("`{text}` is not an e-mail address"),
        )),
    }
}

/// Argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane).
fn hasher() -> argon2::Argon2<'static> {
    let params =
        argon2::Params::new(19 * 1024, 2, 1, None).unwrap_or_else(|_| argon2::Params::default());
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// A password's Argon2id hash in the PHC string format, with a random salt.
fn hash_password(password: &str) -> AppResult<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::encode_b64(&random_bytes::<16>()?)
        .map_err(|error| AppError::External(format!("cannot make a salt: {error}")))?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| AppError::External(format!("cannot hash the password: {error}")))
}

/// Whether `password` matches the stored `hash` (a hash that does not parse
/// matches nothing).
fn password_matches(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|parsed| {
        hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash no password matches, checked when the name is unknown so a
/// guesser cannot tell names from the time an answer takes.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        hash_password(&hex(&random_bytes::<16>().unwrap_or([7; 16]))).unwrap_or_default()
    })
}

/// Refuses a password too short, too long, or the user's own name.
fn checked_password(password: &str, user_name: &str) -> AppResult<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(
            "password",
            format!("at least {MIN_PASSWORD_CHARS} characters (a few words make a good one)"),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(AppError::invalid(
            "password",
            format!("at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    if password.trim().eq_ignore_ascii_case(user_name.trim()) {
        return Err(AppError::invalid("password", "must not be the user's name"));
    }
    Ok(())
}

fn unauthenticated(reason: &str) -> AppError {
    AppError::Unauthenticated(reason.to_string())
}

impl App {
    /// Adds a user (names are unique ignoring case); audited as `actor`'s.
    pub fn create_user(
        &self,
        actor: &Person,
        name: &str,
        email: Option<&str>,
        role: Role,
        now: Timestamp,
    ) -> AppResult<UserListing> {
        let name = checked_name("name", name)?;
        let email = checked_email(email)?;
        let audit = AuditDraft::new(actor, AuditAction::UserCreate, now);
        self.store
            .create_user(&name, email.as_deref(), role, now, &audit)?
            .map(UserListing::from)
            .ok_or_else(|| AppError::Conflict(format!("a user named `{name}` exists already")))
    }

    /// Every user, disabled ones included.
    pub fn users(&self) -> AppResult<Vec<UserListing>> {
        Ok(self
            .store
            .users()?
            .into_iter()
            .map(UserListing::from)
            .collect())
    }

    /// A user by id (digits) or name.
    fn find_user(&self, reference: &str) -> AppResult<User> {
        let reference = reference.trim();
        let found = match reference.parse::<i64>() {
            Ok(id) => self.store.user(id)?,
            Err(_) => self.store.user_by_name(reference)?,
        };
        found.ok_or_else(|| AppError::NotFound(format!("no user `{reference}`")))
    }

    /// Changes a user's role.
    pub fn set_user_role(
        &self,
        actor: &Person,
        reference: &str,
        role: Role,
        now: Timestamp,
    ) -> AppResult<UserListing> {
        let user = self.find_user(reference)?;
        if user.role == Role::Admin && role != Role::Admin {
            self.keep_an_admin(user.id)?;
        }
        self.change_user(
            user.id,
            &UserChange {
                role: Some(role),
                ..UserChange::default()
            },
            AuditDraft::new(actor, AuditAction::UserRole, now),
        )
    }

    /// Disables a user: their tokens and sessions stop working at once.
    pub fn disable_user(
        &self,
        actor: &Person,
        reference: &str,
        now: Timestamp,
    ) -> AppResult<UserListing> {
        let user = self.find_user(reference)?;
        if user.disabled_at.is_some() {
            return Ok(user.into());
        }
        if user.role == Role::Admin {
            self.keep_an_admin(user.id)?;
        }
        self.change_user(
            user.id,
            &UserChange {
                disabled_at: Some(Some(now)),
                ..UserChange::default()
            },
            AuditDraft::new(actor, AuditAction::UserDisable, now),
        )
    }

    /// Enables a disabled user again (their tokens not revoked work again).
    pub fn enable_user(
        &self,
        actor: &Person,
        reference: &str,
        now: Timestamp,
    ) -> AppResult<UserListing> {
        let user = self.find_user(reference)?;
        self.change_user(
            user.id,
            &UserChange {
                disabled_at: Some(None),
                ..UserChange::default()
            },
            AuditDraft::new(actor, AuditAction::UserEnable, now),
        )
    }

    fn change_user(
        &self,
        id: i64,
        change: &UserChange,
        audit: AuditDraft,
    ) -> AppResult<UserListing> {
        self.store
            .update_user(id, change, &audit)?
            .map(UserListing::from)
            .ok_or_else(|| AppError::NotFound(format!("no user with id {id}")))
    }

    /// Refuses a change that would leave no enabled admin but `leaving`.
    fn keep_an_admin(&self, leaving: i64) -> AppResult<()> {
        let others = self
            .store
            .users()?
            .into_iter()
            .filter(|user| {
                user.id != leaving && user.role == Role::Admin && user.disabled_at.is_none()
            })
            .count();
        if others == 0 {
            return Err(AppError::Conflict(
                "this is the last admin: make another user an admin first".into(),
            ));
        }
        Ok(())
    }

    /// Makes an API token for a user, shown once. `expires_in_days`: none
    /// for a token that lasts until revoked.
    pub fn create_token(
        &self,
        actor: &Person,
        user: &str,
        name: &str,
        expires_in_days: Option<u32>,
        now: Timestamp,
    ) -> AppResult<NewApiToken> {
        let user = self.find_user(user)?;
        if user.disabled_at.is_some() {
            return Err(AppError::Conflict(format!(
                "user `{}` is disabled",
                user.name
            )));
        }
        let name = checked_name("name", name)?;
        let expires_at = match expires_in_days {
            Some(0) => return Err(AppError::invalid("expiresInDays", "at least 1 day")),
            Some(days) => Some(Timestamp::from_millis(
                now.millis() + hours(24 * i64::from(days.min(3_650))),
            )),
            None => None,
        };
        let audit = AuditDraft::new(actor, AuditAction::TokenCreate, now);
        self.new_token(&user, &name, expires_at, false, now, audit)
    }

    fn new_token(
        &self,
        user: &User,
        name: &str,
        expires_at: Option<Timestamp>,
        single_use: bool,
        now: Timestamp,
        audit: AuditDraft,
    ) -> AppResult<NewApiToken> {
        let token = new_secret()?;
        let prefix: String = token.chars().take(PREFIX_CHARS).collect();
        let stored = self.store.create_api_token(
            &NewToken {
                user_id: user.id,
                name,
                token_hash: &secret_hash(&token),
                prefix: &prefix,
                at: now,
                expires_at,
                single_use,
            },
            &audit,
        )?;
        Ok(NewApiToken {
            token,
            listing: stored.into(),
            user: user.name.clone(),
        })
    }

    /// A one-time sign-in link's token for a user, valid for
    /// [`SIGN_IN_LINK_HOURS`].
    pub fn sign_in_link_token(
        &self,
        actor: &Person,
        user: &str,
        now: Timestamp,
    ) -> AppResult<NewApiToken> {
        let user = self.find_user(user)?;
        if user.disabled_at.is_some() {
            return Err(AppError::Conflict(format!(
                "user `{}` is disabled",
                user.name
            )));
        }
        let expires = Timestamp::from_millis(now.millis() + hours(SIGN_IN_LINK_HOURS));
        let audit = AuditDraft::new(actor, AuditAction::TokenCreate, now);
        self.new_token(&user, "sign-in link", Some(expires), true, now, audit)
    }

    /// The tokens of a user (every user's with `None`), revoked included.
    pub fn tokens(&self, user: Option<&str>) -> AppResult<Vec<TokenListing>> {
        let user_id = user
            .map(|user| self.find_user(user))
            .transpose()?
            .map(|user| user.id);
        Ok(self
            .store
            .api_tokens(user_id)?
            .into_iter()
            .map(TokenListing::from)
            .collect())
    }

    /// Revokes a token: from `now` on, requests with it are refused.
    pub fn revoke_token(&self, actor: &Person, id: i64, now: Timestamp) -> AppResult<TokenListing> {
        let audit = AuditDraft::new(actor, AuditAction::TokenRevoke, now);
        self.store
            .revoke_api_token(id, now, &audit)?
            .map(TokenListing::from)
            .ok_or_else(|| AppError::NotFound(format!("no token with id {id}")))
    }

    /// On a store without users: makes the first admin (`admin`) and a
    /// one-time sign-in link's token for them. `None` once a user exists.
    pub fn ensure_first_admin(&self, now: Timestamp) -> AppResult<Option<FirstAdmin>> {
        if !self.store.users()?.is_empty() {
            return Ok(None);
        }
        // Made by whoever starts Rapport on an empty store: the operator.
        let operator = Person::operator();
        let audit = AuditDraft::new(&operator, AuditAction::UserCreate, now);
        let Some(user) = self
            .store
            .create_user("admin", None, Role::Admin, now, &audit)?
        else {
            // Another process made it in between.
            return Ok(None);
        };
        let token = self.sign_in_link_token(&operator, &user.id.to_string(), now)?;
        Ok(Some(FirstAdmin {
            user: user.into(),
            sign_in_token: token.token,
        }))
    }

    /// Sets a user's password (Argon2id; the password itself is kept
    /// nowhere). Their sessions and tokens stay as they are.
    pub fn set_password(
        &self,
        actor: &Person,
        reference: &str,
        password: &str,
        now: Timestamp,
    ) -> AppResult<UserListing> {
        let user = self.find_user(reference)?;
        checked_password(password, &user.name)?;
        let hash = hash_password(password)?;
        self.change_user(
            user.id,
            &UserChange {
                password_hash: Some(Some(hash)),
                ..UserChange::default()
            },
            AuditDraft::new(actor, AuditAction::UserPassword, now),
        )
    }

    /// Removes a user's password: they sign in with a token or a link only.
    pub fn remove_password(
        &self,
        actor: &Person,
        reference: &str,
        now: Timestamp,
    ) -> AppResult<UserListing> {
        let user = self.find_user(reference)?;
        self.change_user(
            user.id,
            &UserChange {
                password_hash: Some(None),
                ..UserChange::default()
            },
            AuditDraft::new(actor, AuditAction::UserPassword, now),
        )
    }

    /// Opens a browser session with a user's name (or e-mail address) and
    /// password. Every failure reads the same, whether the name is unknown,
    /// has no password, is disabled or the password is wrong; attempts per
    /// name are limited ([`PASSWORD_ATTEMPTS`]).
    pub fn sign_in_with_password(
        &self,
        name: &str,
        password: &str,
        now: Timestamp,
    ) -> AppResult<OpenedSession> {
        let name = name.trim();
        let mut key = Sha256::new();
        key.update(b"rapport password\0");
        key.update(name.to_lowercase().as_bytes());
        self.sign_in_attempts
            .take(key.finalize().into(), now.millis())
            .map_err(|retry_after_seconds| AppError::RateLimited {
                retry_after_seconds,
            })?;
        let refused = || unauthenticated("the name or the password is not right");
        if password.chars().count() > MAX_PASSWORD_CHARS {
            return Err(refused());
        }
        let user = match self.store.user_by_name(name)? {
            Some(user) => Some(user),
            None => self.store.users()?.into_iter().find(|user| {
                user.email
                    .as_deref()
                    .is_some_and(|email| email.eq_ignore_ascii_case(name))
            }),
        };
        let hash = user
            .as_ref()
            .and_then(|user| user.password_hash.as_deref())
            .unwrap_or_else(|| decoy_hash());
        let matches = password_matches(password, hash);
        match user {
            Some(user) if matches && user.password_hash.is_some() && user.disabled_at.is_none() => {
                self.open_session(&user, now)
            }
            _ => Err(refused()),
        }
    }

    /// The person an API token signs in (`Authorization: Bearer …`).
    pub fn authenticate_token(&self, token: &str, now: Timestamp) -> AppResult<Person> {
        let (person, touch) = self.token_person(token, now)?;
        if let Some(id) = touch {
            self.touch_token(id, now)?;
        }
        Ok(person)
    }

    /// The person an API token signs in, by reads alone, and the token's id
    /// when its last use is due to be written ([`App::touch_token`]) — so a
    /// server can authenticate on the request's own task and leave the
    /// write, at most once a minute a token, to a blocking one.
    pub fn token_person(&self, token: &str, now: Timestamp) -> AppResult<(Person, Option<i64>)> {
        let (stored, user) = self.valid_token(token, now)?;
        if stored.single_use {
            return Err(unauthenticated(
                "a sign-in link's token opens a browser session only (GET /sign-in?token=…)",
            ));
        }
        let touch = stored
            .last_used_at
            .is_none_or(|last| now.millis() - last.millis() >= TOUCH_EVERY_MS)
            .then_some(stored.id);
        Ok((user.person(), touch))
    }

    /// Writes a token's last use.
    pub fn touch_token(&self, id: i64, now: Timestamp) -> AppResult<()> {
        Ok(self.store.touch_api_token(id, now)?)
    }

    fn valid_token(&self, token: &str, now: Timestamp) -> AppResult<(ApiToken, User)> {
        let token = token.trim();
        if !token.starts_with(TOKEN_PREFIX) {
            return Err(unauthenticated(
                "the token is not valid (unknown, expired or revoked)",
            ));
        }
        let stored = self
            .store
            .api_token_by_hash(&secret_hash(token))?
            .filter(|stored| stored.is_valid_at(now))
            .ok_or_else(|| {
                unauthenticated("the token is not valid (unknown, expired or revoked)")
            })?;
        let user = self.active_user(stored.user_id)?;
        Ok((stored, user))
    }

    fn active_user(&self, id: i64) -> AppResult<User> {
        self.store
            .user(id)?
            .filter(|user| user.disabled_at.is_none())
            .ok_or_else(|| unauthenticated("the user is disabled"))
    }

    /// Opens a browser session with a token (an API token or a sign-in
    /// link's, which the session revokes).
    pub fn sign_in_with_token(&self, token: &str, now: Timestamp) -> AppResult<OpenedSession> {
        let (stored, user) = self.valid_token(token, now)?;
        if stored.single_use {
            self.store.spend_api_token(stored.id, now)?;
        } else {
            self.store.touch_api_token(stored.id, now)?;
        }
        self.open_session(&user, now)
    }

    fn open_session(&self, user: &User, now: Timestamp) -> AppResult<OpenedSession> {
        let secret = new_secret()?;
        let expires_at = Timestamp::from_millis(now.millis() + hours(SESSION_HOURS));
        self.store.create_session(
            &secret_hash(&secret),
            &Session {
                user_id: user.id,
                created_at: now,
                expires_at,
            },
        )?;
        Ok(OpenedSession {
            csrf: csrf_token(&secret),
            secret,
            person: user.person(),
            expires_at,
        })
    }

    /// The person a session cookie signs in.
    pub fn session_person(&self, secret: &str, now: Timestamp) -> AppResult<Person> {
        let session = self
            .store
            .session(&secret_hash(secret))?
            .filter(|session| now < session.expires_at)
            .ok_or_else(|| unauthenticated("the session has ended; sign in again"))?;
        Ok(self.active_user(session.user_id)?.person())
    }

    /// Ends a session.
    pub fn sign_out(&self, secret: &str) -> AppResult<()> {
        self.store.delete_session(&secret_hash(secret))?;
        Ok(())
    }

    /// The enabled user `reference` (an id or a name) names, as the person a
    /// command acts for (the CLI's `--as`): the same roles and scope apply as
    /// to a signed-in request.
    pub fn person(&self, reference: &str) -> AppResult<Person> {
        let user = self.find_user(reference)?;
        if user.disabled_at.is_some() {
            return Err(AppError::Forbidden(format!(
                "user `{}` is disabled",
                user.name
            )));
        }
        Ok(user.person())
    }

    /// The account `reference` names, for `person` to change: refused unless
    /// their role may change things, not found outside their scope.
    pub fn account_to_change(&self, person: &Person, reference: &str) -> AppResult<Account> {
        self.authorize(person, Permission::Write)?;
        self.visible_account(person, reference)
    }

    /// The account of a record `person` reaches by its id (an alert, a
    /// task, a share link), when they may see it: a record of an account
    /// outside their scope is `missing`, as one that does not exist.
    pub(crate) fn account_in_scope(
        &self,
        person: &Person,
        account: &rapport_core::ExternalId,
        missing: impl Fn() -> AppError,
    ) -> AppResult<Account> {
        match self.store.account(account)? {
            Some(account) if person.sees(&account) => Ok(account),
            _ => Err(missing()),
        }
    }

    /// Refuses what `person`'s role does not grant.
    pub fn authorize(&self, person: &Person, permission: Permission) -> AppResult<()> {
        if person.may(permission) {
            return Ok(());
        }
        Err(AppError::Forbidden(match permission {
            Permission::Read => "reading is not allowed".into(),
            Permission::Write => format!("a {} may read but not change anything", person.role),
            Permission::Admin => "only an admin may do this".into(),
        }))
    }

    /// The account `reference` names, when `person` may see it: an account
    /// outside a CSM's scope is not found (as one that does not exist), and
    /// the candidates of an ambiguous name are only those they may see.
    pub fn visible_account(&self, person: &Person, reference: &str) -> AppResult<Account> {
        let not_found = || AppError::NotFound(format!("no account with id or name `{reference}`"));
        match self.resolve(reference) {
            Ok(account) if person.sees(&account) => Ok(account),
            Ok(_) => Err(not_found()),
            Err(AppError::Ambiguous {
                reference,
                candidates,
            }) if !person.sees_every_account() => {
                let visible: Vec<_> = candidates
                    .into_iter()
                    .filter(|candidate| {
                        self.resolve(candidate.external_id.as_str())
                            .is_ok_and(|account| person.sees(&account))
                    })
                    .collect();
                if visible.is_empty() {
                    Err(not_found())
                } else {
                    Err(AppError::Ambiguous {
                        reference,
                        candidates: visible,
                    })
                }
            }
            Err(error) => Err(error),
        }
    }
}
