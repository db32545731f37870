//! One module per resource; each registers its handlers with the OpenAPI-aware
//! app, so a route cannot exist without appearing in the document.

pub mod auth;
pub mod comments;
mod double_option;
pub mod dto;
pub mod events;
pub mod invitations;
pub mod notifications;
pub mod ops;
pub mod projects;
pub mod sessions;
pub mod task_query;
pub mod tasks;
pub mod team_activity;
pub mod teams;
mod timestamp;
pub mod tokens;
pub mod webhooks;
