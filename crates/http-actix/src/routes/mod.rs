//! One module per resource; each registers its handlers with the OpenAPI-aware
//! app, so a route cannot exist without appearing in the document.

pub mod ops;
