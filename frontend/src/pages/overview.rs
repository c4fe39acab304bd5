//! Overview: for now, the console server's version and health.

use leptos::prelude::*;
use model::{Health, Msg};

use crate::api::{self, ApiError};
use crate::i18n::I18n;

#[component]
pub fn Overview() -> impl IntoView {
    let i18n = expect_context::<I18n>();
    let health = LocalResource::new(|| api::get_json::<Health>("/api/v1/health"));
    // The tab title names the version, so a user can tell which build is open.
    Effect::new(move |_| {
        let title = match health.get() {
            Some(Ok(health)) => format!("{} {}", i18n.t(Msg::AppTitle), health.version),
            _ => i18n.t(Msg::AppTitle).to_owned(),
        };
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(&title);
        }
    });
    view! {
        <section class="page" aria-labelledby="overview-title">
            <div class="page-head">
                <div>
                    <h1 id="overview-title">{move || i18n.t(Msg::OverviewTitle)}</h1>
                    <p class="intro">{move || i18n.t(Msg::OverviewIntro)}</p>
                </div>
                <button type="button" on:click=move |_| health.refetch()>{move || i18n.t(Msg::OverviewRefresh)}</button>
            </div>
            <Transition fallback=move || view! { <p class="card loading" aria-busy="true">{move || i18n.t(Msg::AppLoading)}</p> }>
                {move || Suspend::new(async move {
                    match health.await {
                        Ok(health) => view! { <ServerCard health/> }.into_any(),
                        Err(error) => view! { <ErrorCard error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ServerCard(health: Health) -> impl IntoView {
    let i18n = expect_context::<I18n>();
    let ready = health.ready;
    let uptime = health.uptime_seconds;
    let checks = health.checks.clone();
    view! {
        <article class="card" id="server-card">
            <h2>{move || i18n.t(Msg::OverviewServer)}</h2>
            <dl class="facts">
                <dt>{move || i18n.t(Msg::OverviewVersion)}</dt>
                <dd id="server-version">{health.version.clone()}</dd>
                <dt>{move || i18n.t(Msg::OverviewStatus)}</dt>
                <dd>
                    <span class=if ready { "badge ok" } else { "badge bad" } id="server-status">
                        {move || i18n.t(if ready { Msg::OverviewReady } else { Msg::OverviewNotReady })}
                    </span>
                </dd>
                <dt>{move || i18n.t(Msg::OverviewUptime)}</dt>
                <dd>{move || format_uptime(i18n, uptime)}</dd>
            </dl>
            <h3>{move || i18n.t(Msg::OverviewChecks)}</h3>
            <ul class="checks">
                {checks
                    .into_iter()
                    .map(|check| {
                        let name = check_name(&check.name);
                        let ok = check.ok;
                        let message = check.message.clone().unwrap_or_default();
                        view! {
                            <li class=if ok { "check ok" } else { "check bad" }>
                                <span class="check-name">{move || name.map(|m| i18n.t(m).to_owned()).unwrap_or_else(|| check.name.clone())}</span>
                                <span>{move || i18n.t(if ok { Msg::CheckOk } else { Msg::CheckFailed })}</span>
                                <span class="check-message">{message}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </article>
    }
}

#[component]
fn ErrorCard(error: ApiError) -> impl IntoView {
    let i18n = expect_context::<I18n>();
    view! {
        <article class="card error" role="alert">
            <h2>{move || i18n.t(Msg::ErrorTitle)}</h2>
            <p>{move || error.describe(i18n)}</p>
        </article>
    }
}

fn check_name(name: &str) -> Option<Msg> {
    match name {
        "database" => Some(Msg::CheckDatabase),
        _ => None,
    }
}

fn format_uptime(i18n: I18n, seconds: u64) -> String {
    let (hours, minutes, seconds) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    if hours > 0 {
        i18n.fill(Msg::TimeHoursMinutes, &[("hours", &hours.to_string()), ("minutes", &minutes.to_string())])
    } else {
        i18n.fill(Msg::TimeMinutesSeconds, &[("minutes", &minutes.to_string()), ("seconds", &seconds.to_string())])
    }
}
