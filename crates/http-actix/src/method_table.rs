//! Which methods each path of the API answers, read from the OpenAPI document
//! the routes generate — so `405 Method Not Allowed` and its `Allow` header
//! can never disagree with the routes. The fallback service asks this table:
//! a path that exists with other methods is `405`, any other path `404`.

use actix_web::dev::ResourceDef;
use utoipa::openapi::OpenApi;

pub struct MethodTable {
    routes: Vec<(ResourceDef, String)>,
}

impl MethodTable {
    pub fn from_openapi(document: &OpenApi) -> Self {
        let routes = document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = Vec::new();
                let operations = [
                    (&item.get, "GET"),
                    (&item.post, "POST"),
                    (&item.put, "PUT"),
                    (&item.patch, "PATCH"),
                    (&item.delete, "DELETE"),
                ];
                for (operation, name) in operations {
                    if operation.is_some() {
                        methods.push(name);
                        // Every GET route also answers HEAD (`middleware::head`).
                        if name == "GET" {
                            methods.push("HEAD");
                        }
                    }
                }
                // Preflight is answered for every path (CORS middleware).
                methods.push("OPTIONS");
                (ResourceDef::new(path.as_str()), methods.join(", "))
            })
            .collect();
        Self { routes }
    }

    /// The `Allow` value for `path`, if the API has that path at all.
    pub fn allowed(&self, path: &str) -> Option<&str> {
        self.routes
            .iter()
            .find(|(pattern, _)| pattern.is_match(path))
            .map(|(_, allow)| allow.as_str())
    }
}
