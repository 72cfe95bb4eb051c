//! Rollout control in Durable Objects (`ROLLOUT_CONTROL`, class [`RolloutControl`]): one
//! object per app holds its `update_protocol::rollout_control::Controls` in its SQLite
//! storage and applies each action there, one at a time, so two admins acting at once both
//! land and every location reads the same state. Reads are cached per isolate for
//! [`CACHE_MS`]: a change reaches every location within that, and the isolate that took the
//! action at once (`docs/rollout-control.md`).

use crate::store::{Bindings, failed};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use update_protocol::names::AppId;
use update_protocol::rollout_control::{Action, Controls, Refused};
use update_protocol::serve::{self, Stored};
use worker::wasm_bindgen::JsValue;
use worker::{
    DurableObject, Env, Method, Request, RequestInit, Response, Result, SqlStorage,
    SqlStorageValue, State, durable_object,
};

/// The binding of the rollout objects (`wrangler.toml`).
const BINDING: &str = "ROLLOUT_CONTROL";

/// How long an isolate answers from its copy of an app's control (ms).
pub const CACHE_MS: i64 = 5_000;

thread_local! {
    static CACHE: RefCell<HashMap<AppId, (i64, Rc<Controls>)>> = RefCell::new(HashMap::new());
}

/// An action as sent to the app's object.
#[derive(Serialize, Deserialize)]
struct Act {
    version: String,
    #[serde(flatten)]
    action: Action,
    by: String,
    at: i64,
}

fn cached(app: &AppId, controls: Rc<Controls>) -> Rc<Controls> {
    let now = crate::store::now().unix_millis();
    CACHE.with_borrow_mut(|m| m.insert(app.clone(), (now, controls.clone())));
    controls
}

impl Bindings<'_> {
    fn rollout_object(&self, app: &AppId) -> Result<worker::Stub> {
        self.env
            .durable_object(BINDING)?
            .get_by_name(&format!("app-{}", app.as_str()))
    }
}

impl serve::Rollouts for Bindings<'_> {
    async fn controls(&self, app: &AppId) -> Stored<Rc<Controls>> {
        let now = crate::store::now().unix_millis();
        let stale = CACHE.with_borrow(|m| m.get(app).cloned());
        if let Some((at, c)) = &stale
            && now - at < CACHE_MS
        {
            return Ok(c.clone());
        }
        let read = async {
            let mut resp = self
                .rollout_object(app)?
                .fetch_with_str("https://rollouts.internal/controls")
                .await?;
            if resp.status_code() != 200 {
                let body = resp.text().await.unwrap_or_default();
                return Err(worker::Error::RustError(format!(
                    "rollout object answered {}: {body}",
                    resp.status_code()
                )));
            }
            resp.json::<Controls>().await
        };
        match read.await {
            Ok(c) => Ok(cached(app, Rc::new(c))),
            // The last state this isolate saw beats no answer: a halt it knew of holds.
            Err(e) => match stale {
                Some((_, c)) => {
                    worker::console_error!("rollout control of {app}: {e}; the cached state used");
                    Ok(c)
                }
                None => Err(failed(e)),
            },
        }
    }

    async fn act(
        &self,
        app: &AppId,
        version: &str,
        action: &Action,
        by: &str,
        at: i64,
    ) -> Stored<std::result::Result<Controls, Refused>> {
        let sent = async {
            let body = serde_json::to_string(&Act {
                version: version.to_owned(),
                action: action.clone(),
                by: by.to_owned(),
                at,
            })?;
            let mut init = RequestInit::new();
            init.with_method(Method::Post)
                .with_body(Some(JsValue::from_str(&body)));
            let req = Request::new_with_init("https://rollouts.internal/act", &init)?;
            let mut resp = self.rollout_object(app)?.fetch_with_request(req).await?;
            match resp.status_code() {
                200 => Ok(Ok(resp.json::<Controls>().await?)),
                409 => Ok(Err(resp.json::<Refused>().await?)),
                status => Err(worker::Error::RustError(format!(
                    "rollout object answered {status}: {}",
                    resp.text().await.unwrap_or_default()
                ))),
            }
        };
        let answer = sent.await.map_err(failed)?;
        if let Ok(c) = &answer {
            cached(app, Rc::new(c.clone()));
        }
        Ok(answer)
    }
}

/// One app's rollout control: one row of JSON in the object's SQLite storage.
#[durable_object]
pub struct RolloutControl {
    state: State,
}

impl RolloutControl {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    fn load(&self) -> Result<Controls> {
        #[derive(Deserialize)]
        struct Row {
            json: String,
        }
        let rows: Vec<Row> = self
            .sql()
            .exec("SELECT json FROM control WHERE id = 1", None)?
            .to_array()?;
        match rows.first() {
            Some(r) => Ok(serde_json::from_str(&r.json)?),
            None => Ok(Controls::default()),
        }
    }
}

impl DurableObject for RolloutControl {
    fn new(state: State, _env: Env) -> Self {
        let object = Self { state };
        if let Err(e) = object.sql().exec(
            "CREATE TABLE IF NOT EXISTS control (id INTEGER PRIMARY KEY CHECK (id = 1), \
             json TEXT NOT NULL)",
            None,
        ) {
            worker::console_error!("rollout control: create table: {e}");
        }
        object
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        if req.method() != Method::Post {
            return Response::from_json(&self.load()?);
        }
        let Ok(act) = req.json::<Act>().await else {
            return Response::error("not an action", 400);
        };
        let mut controls = self.load()?;
        match controls.act(&act.version, act.action, &act.by, act.at) {
            Ok(_) => {
                self.sql().exec(
                    "INSERT INTO control (id, json) VALUES (1, ?) \
                     ON CONFLICT (id) DO UPDATE SET json = excluded.json",
                    vec![SqlStorageValue::from(serde_json::to_string(&controls)?)],
                )?;
                Response::from_json(&controls)
            }
            Err(refused) => Ok(Response::from_json(&refused)?.with_status(409)),
        }
    }
}
