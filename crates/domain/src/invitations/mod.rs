//! Invitations (contract → Invitations): an admin invites an email address
//! to a team with a role, whether or not it has an account yet; whoever
//! signs in with that address accepts with the token the admin sent them,
//! and joins under the team's lock like any membership change.

mod model;
mod ports;
mod service;

pub use model::{Invitation, InvitationState, IssuedInvitation, NewInvitation, INVITATION_TTL};
pub use ports::InvitationRepository;
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockInvitationRepository;
pub use service::InvitationService;
