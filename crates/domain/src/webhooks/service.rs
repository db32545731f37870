use super::model::{CreatedWebhook, NewWebhook, Webhook, WebhookEvents, WebhookUrl};
use super::ports::{HostResolver, WebhookRepository};
use super::ssrf::is_public;
use crate::access::{authorize, Action};
use crate::auth::SecretMinter;
use crate::ids::{TeamId, UserId, WebhookId};
use crate::paging::{PageRequest, Paged};
use crate::teams::TeamRepository;
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
        let secret = self.minter.mint();
        let webhook = self
            .webhooks
            .create_within(
                NewWebhook {
                    id: WebhookId::new(),
                    team_id: team,
                    url,
                    events,
                    secret: secret.clone(),
                    created_by: caller,
                },
                MAX_WEBHOOKS_PER_TEAM,
            )
            .await?
            .ok_or(DomainError::Conflict(ConflictKind::LimitReached {
                owner: "team",
                what: "webhooks",
                limit: MAX_WEBHOOKS_PER_TEAM,
            }))?;
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
        self.webhooks.delete(id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::auth::MockSecretMinter;
    use crate::teams::{MockTeamRepository, Team};
    use crate::webhooks::{MockHostResolver, MockWebhookRepository, Webhook};
    use futures_executor::block_on;

    fn service(role: Role, resolves_to: &'static str, allow_private: bool) -> WebhookService {
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
        let mut webhooks = MockWebhookRepository::new();
        webhooks.expect_create_within().returning(|new, limit| {
            assert_eq!(
                limit, MAX_WEBHOOKS_PER_TEAM,
                "the domain's cap is passed down"
            );
            Ok(Some(Webhook {
                id: new.id,
                team_id: new.team_id,
                url: new.url,
                events: new.events,
                created_at: chrono::Utc::now(),
            }))
        });
        WebhookService {
            webhooks: Arc::new(webhooks),
            teams: Arc::new(teams),
            resolver: Arc::new(resolver),
            minter: Arc::new(minter),
            settings: WebhookSettings { allow_private },
        }
    }

    fn register(service: &WebhookService) -> Result<CreatedWebhook, DomainError> {
        block_on(service.create(
            UserId::new(),
            TeamId::new(),
            "https://hooks.example.com/in",
            &["task.created".to_owned()],
        ))
    }

    #[test]
    fn a_host_resolving_to_a_private_address_is_refused_unless_allowed() {
        let refused = register(&service(Role::Admin, "10.0.0.7", false));
        assert!(
            matches!(&refused, Err(DomainError::Refused { code: "url_not_allowed", field })
                if field.field == "url"),
            "{refused:?}"
        );
        assert!(register(&service(Role::Admin, "10.0.0.7", true)).is_ok());
        let created = register(&service(Role::Admin, "93.184.216.34", false)).unwrap();
        assert_eq!(created.secret, "s3cret", "shown once, at registration");
    }

    #[test]
    fn a_team_at_its_webhook_limit_gets_limit_reached() {
        let mut full = service(Role::Admin, "93.184.216.34", false);
        let mut webhooks = MockWebhookRepository::new();
        webhooks.expect_create_within().returning(|_, _| Ok(None));
        full.webhooks = Arc::new(webhooks);
        assert!(matches!(
            register(&full),
            Err(DomainError::Conflict(ConflictKind::LimitReached {
                owner: "team",
                what: "webhooks",
                limit: 20
            }))
        ));
    }

    #[test]
    fn only_admins_delete_a_webhook_and_the_delete_reaches_storage() {
        for (role, deletes) in [(Role::Admin, 1), (Role::Manager, 0), (Role::Member, 0)] {
            let mut service = service(role, "93.184.216.34", false);
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
            webhooks
                .expect_delete()
                .times(deletes)
                .returning(|_| Ok(()));
            service.webhooks = Arc::new(webhooks);
            let deleted = block_on(service.delete(UserId::new(), WebhookId::new()));
            assert_eq!(deleted.is_ok(), deletes == 1, "{role:?}: {deleted:?}");
        }
    }

    #[test]
    fn only_admins_manage_webhooks() {
        for role in [Role::Manager, Role::Member] {
            assert!(matches!(
                register(&service(role, "93.184.216.34", false)),
                Err(DomainError::Forbidden(_))
            ));
        }
    }
}
