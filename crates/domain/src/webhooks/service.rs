use super::model::{CreatedWebhook, NewWebhook, Webhook, WebhookEvents, WebhookUrl};
use super::ports::{HostResolver, WebhookRepository};
use super::ssrf::is_public;
use crate::access::{authorize, Action};
use crate::activity::TeamChange;
use crate::auth::SecretMinter;
use crate::ids::{TeamId, UserId, WebhookId};
use crate::paging::{PageRequest, Paged};
use crate::teams::{lock_team, record_change, TeamLocks, TeamRepository};
use crate::{ConflictKind, DomainError, FieldError};
use std::sync::Arc;

/// The contract's cap: at most 20 live webhooks per team (`409
/// limit_reached` beyond). Every write of a team fans out to each of them, so
/// the cap bounds how much delivery work one team's write can create.
pub const MAX_WEBHOOKS_PER_TEAM: usize = 20;

#[derive(Debug, Clone, Copy)]
pub struct WebhookSettings {
    /// `OPSFLOW_WEBHOOK_ALLOW_PRIVATE`: let targets resolve to private
    /// addresses (tests, on-premises receivers).
    pub allow_private: bool,
}

pub struct WebhookService {
    pub webhooks: Arc<dyn WebhookRepository>,
    pub teams: Arc<dyn TeamRepository>,
    pub locks: Arc<dyn TeamLocks>,
    pub resolver: Arc<dyn HostResolver>,
    pub minter: Arc<dyn SecretMinter>,
    pub settings: WebhookSettings,
}

impl WebhookService {
    /// Registers a webhook; the answer carries its signing secret, once.
    ///
    /// # Errors
    /// `NotFound("team")` for non-members, `Forbidden` for non-admins,
    /// `Invalid` for bad events or URLs — code `url_not_allowed` (field
    /// `url`) when the host is or resolves to a non-public address.
    pub async fn create(
        &self,
        caller: UserId,
        team: TeamId,
        url: &str,
        events: &[String],
    ) -> Result<CreatedWebhook, DomainError> {
        authorize(
            self.teams.as_ref(),
            team,
            caller,
            Action::ManageWebhooks,
            "team",
        )
        .await?;
        let url = WebhookUrl::parse(url)?;
        let events = WebhookEvents::parse(events)?;
        if !self.settings.allow_private {
            let addresses = self.resolver.resolve(&url.host(), url.port()).await?;
            if addresses.is_empty() || addresses.iter().any(|ip| !is_public(*ip)) {
                return Err(DomainError::Refused {
                    code: "url_not_allowed",
                    field: FieldError::new(
                        "url",
                        "the host is or resolves to a private, loopback, link-local \
                         or otherwise non-public address (a development setup can allow \
                         such targets with OPSFLOW_WEBHOOK_ALLOW_PRIVATE=true)",
                    ),
                });
            }
        }
        let mut locked = lock_team(self.locks.as_ref(), team).await?;
        locked.roster().require(caller, Action::ManageWebhooks)?;
        // Counted under the team's lock: two registrations racing for the
        // last place are ordered, the second sees the first.
        if locked.live_webhooks().await? >= MAX_WEBHOOKS_PER_TEAM {
            return Err(DomainError::Conflict(ConflictKind::LimitReached {
                owner: "team",
                what: "webhooks",
                limit: MAX_WEBHOOKS_PER_TEAM,
            }));
        }
        let secret = self.minter.mint();
        let webhook = locked
            .insert_webhook(NewWebhook {
                id: WebhookId::new(),
                team_id: team,
                url,
                events,
                secret: secret.clone(),
                created_by: caller,
            })
            .await?;
        let change = TeamChange::WebhookCreated {
            webhook: webhook.id,
            host: webhook.url.host(),
        };
        record_change(locked.as_mut(), caller, &change).await?;
        locked.commit().await?;
        Ok(CreatedWebhook { webhook, secret })
    }

    /// # Errors
    /// `NotFound("team")`, `Forbidden` for non-admins.
    pub async fn list(
        &self,
        caller: UserId,
        team: TeamId,
        page: PageRequest,
    ) -> Result<Paged<Webhook>, DomainError> {
        authorize(
            self.teams.as_ref(),
            team,
            caller,
            Action::ManageWebhooks,
            "team",
        )
        .await?;
        self.webhooks.list(team, page).await
    }

    /// # Errors
    /// `NotFound("webhook")` for an unknown webhook or a non-member,
    /// `Forbidden` for non-admins.
    pub async fn delete(&self, caller: UserId, id: WebhookId) -> Result<(), DomainError> {
        let webhook = self
            .webhooks
            .get(id)
            .await?
            .ok_or(DomainError::NotFound("webhook"))?;
        authorize(
            self.teams.as_ref(),
            webhook.team_id,
            caller,
            Action::ManageWebhooks,
            "webhook",
        )
        .await?;
        let mut locked = lock_team(self.locks.as_ref(), webhook.team_id).await?;
        locked.roster().require(caller, Action::ManageWebhooks)?;
        // Of two deletions racing, the second finds it gone: one entry.
        if !locked.delete_webhook(id).await? {
            return Err(DomainError::NotFound("webhook"));
        }
        let change = TeamChange::WebhookDeleted {
            webhook: id,
            host: webhook.url.host(),
        };
        record_change(locked.as_mut(), caller, &change).await?;
        locked.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::activity::ActivityAction;
    use crate::auth::MockSecretMinter;
    use crate::teams::fakes::{hand_out, locked_as};
    use crate::teams::{MockLockedTeam, MockTeamLocks, MockTeamRepository, Team};
    use crate::webhooks::{MockHostResolver, MockWebhookRepository, Webhook};
    use futures_executor::block_on;

    fn caller() -> UserId {
        UserId(uuid::Uuid::from_u128(7))
    }

    /// The service for a caller with `role`, whose DNS answers
    /// `resolves_to`; `locked` is the team its change locks (never locked
    /// when `None`).
    fn service(
        role: Role,
        resolves_to: &'static str,
        allow_private: bool,
        locked: Option<MockLockedTeam>,
    ) -> WebhookService {
        let mut teams = MockTeamRepository::new();
        teams.expect_membership().returning(move |team, _| {
            Ok(Some((
                Team {
                    id: team,
                    name: crate::teams::TeamName::stored("T".into()),
                    created_at: chrono::Utc::now(),
                },
                role,
            )))
        });
        let mut resolver = MockHostResolver::new();
        resolver
            .expect_resolve()
            .returning(move |_, _| Ok(vec![resolves_to.parse().unwrap()]));
        let mut minter = MockSecretMinter::new();
        minter.expect_mint().returning(|| "s3cret".into());
        let mut locks = MockTeamLocks::new();
        match locked {
            Some(locked) => hand_out(&mut locks, locked),
            None => {
                locks.expect_lock().never();
            }
        }
        WebhookService {
            webhooks: Arc::new(MockWebhookRepository::new()),
            teams: Arc::new(teams),
            locks: Arc::new(locks),
            resolver: Arc::new(resolver),
            minter: Arc::new(minter),
            settings: WebhookSettings { allow_private },
        }
    }

    /// An admin's team with `live` webhooks, expecting one registration
    /// (and its audit entry) unless full.
    fn team_with(live: usize) -> MockLockedTeam {
        let full = live >= MAX_WEBHOOKS_PER_TEAM;
        let audited: &'static [ActivityAction] = if full {
            &[]
        } else {
            &[ActivityAction::WebhookCreated]
        };
        let mut locked = locked_as(caller(), Role::Admin, audited);
        locked.expect_live_webhooks().returning(move || Ok(live));
        locked
            .expect_insert_webhook()
            .times(usize::from(!full))
            .returning(|new| {
                Ok(Webhook {
                    id: new.id,
                    team_id: new.team_id,
                    url: new.url,
                    events: new.events,
                    created_at: chrono::Utc::now(),
                })
            });
        locked
    }

    fn register(service: &WebhookService) -> Result<CreatedWebhook, DomainError> {
        block_on(service.create(
            caller(),
            TeamId::new(),
            "https://hooks.example.com/in",
            &["task.created".to_owned()],
        ))
    }

    #[test]
    fn a_host_resolving_to_a_private_address_is_refused_unless_allowed() {
        let refused = register(&service(Role::Admin, "10.0.0.7", false, None));
        assert!(
            matches!(&refused, Err(DomainError::Refused { code: "url_not_allowed", field })
                if field.field == "url"),
            "{refused:?}"
        );
        let allowed = service(Role::Admin, "10.0.0.7", true, Some(team_with(0)));
        assert!(register(&allowed).is_ok());
        let public = service(Role::Admin, "93.184.216.34", false, Some(team_with(0)));
        let created = register(&public).unwrap();
        assert_eq!(created.secret, "s3cret", "shown once, at registration");
    }

    #[test]
    fn a_team_at_its_webhook_limit_gets_limit_reached() {
        let last_place = service(Role::Admin, "93.184.216.34", false, Some(team_with(19)));
        assert!(register(&last_place).is_ok());
        let full = service(Role::Admin, "93.184.216.34", false, Some(team_with(20)));
        assert!(matches!(
            register(&full),
            Err(DomainError::Conflict(ConflictKind::LimitReached {
                owner: "team",
                what: "webhooks",
                limit: 20
            }))
        ));
    }

    /// A delete by a caller with `role` of a webhook storage finds live or
    /// not (`live`).
    fn delete_as(role: Role, live: bool) -> Result<(), DomainError> {
        let locked = (role == Role::Admin).then(|| {
            let audited: &'static [ActivityAction] = if live {
                &[ActivityAction::WebhookDeleted]
            } else {
                &[]
            };
            let mut locked = locked_as(caller(), role, audited);
            locked
                .expect_delete_webhook()
                .times(1)
                .returning(move |_| Ok(live));
            locked
        });
        let mut service = service(role, "93.184.216.34", false, locked);
        let mut webhooks = MockWebhookRepository::new();
        webhooks.expect_get().returning(|id| {
            Ok(Some(Webhook {
                id,
                team_id: TeamId::new(),
                url: WebhookUrl::parse("https://hooks.example.com/").unwrap(),
                events: WebhookEvents::parse(&["task.created".into()]).unwrap(),
                created_at: chrono::Utc::now(),
            }))
        });
        service.webhooks = Arc::new(webhooks);
        block_on(service.delete(caller(), WebhookId::new()))
    }

    #[test]
    fn only_admins_delete_a_webhook_and_a_second_delete_finds_it_gone() {
        assert!(delete_as(Role::Admin, true).is_ok());
        assert!(matches!(
            delete_as(Role::Admin, false),
            Err(DomainError::NotFound("webhook"))
        ));
        for role in [Role::Manager, Role::Member] {
            assert!(matches!(
                delete_as(role, true),
                Err(DomainError::Forbidden(_))
            ));
        }
    }

    #[test]
    fn only_admins_manage_webhooks() {
        for role in [Role::Manager, Role::Member] {
            assert!(matches!(
                register(&service(role, "93.184.216.34", false, None)),
                Err(DomainError::Forbidden(_))
            ));
        }
    }
}
