//! The app shell: loads from the server, shows the version, switches language.

use e2e::TestEnv;
use e2e::browser::Browser;
use e2e::console::Console;
use fantoccini::key::Key;

#[tokio::test]
async fn the_shell_shows_the_version_and_switches_to_chinese() {
    let env = TestEnv::from_env();
    let console = Console::start(&env.web_root).await;
    let browser = Browser::start(&env, "en-US").await;

    browser.client.goto(&console.url("/")).await.expect("open the console");
    browser.wait_for_text("#server-version", model::VERSION).await;
    browser.wait_for_text("#server-status", "Ready").await;
    browser.wait_for_text("nav a[href='/']", "Overview").await;
    assert_eq!(browser.eval("document.documentElement.lang").await, "en");
    let title = browser.client.title().await.expect("title");
    assert_eq!(title, format!("Registry Console {}", model::VERSION));
    browser.screenshot(&env, "overview-en").await;

    let select = browser.find("#lang-select").await;
    select.select_by_value("zh-CN").await.expect("choose 简体中文");
    browser.wait_for_text("nav a[href='/']", "概览").await;
    browser.wait_for_text("#server-status", "就绪").await;
    assert_eq!(browser.eval("document.documentElement.lang").await, "zh-CN");
    browser.screenshot(&env, "overview-zh").await;

    // The choice is remembered across a reload.
    browser.client.refresh().await.expect("reload");
    browser.wait_for_text("nav a[href='/']", "概览").await;
    assert_eq!(browser.client.title().await.expect("title"), format!("镜像 Registry 控制台 {}", model::VERSION));

    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "browser console errors: {errors:#?}");
    // The check above can fail: an error logged now is seen.
    browser.eval("console.error('probe-7f3a')").await;
    let errors = browser.console_errors().await;
    assert!(errors.iter().any(|e| e.contains("probe-7f3a")), "console log not captured: {errors:?}");
    browser.close().await;
}

#[tokio::test]
async fn a_chinese_browser_starts_in_chinese_and_unknown_pages_say_so() {
    let env = TestEnv::from_env();
    let console = Console::start(&env.web_root).await;
    let browser = Browser::start(&env, "zh-CN").await;

    browser.client.goto(&console.url("/no/such/page")).await.expect("open a missing page");
    browser.wait_for_text("main h1", "找不到页面").await;
    assert_eq!(browser.eval("document.documentElement.lang").await, "zh-CN");
    browser.screenshot(&env, "not-found-zh").await;

    // Keyboard users reach the skip link first, and it leads to the content.
    browser.press(Key::Tab).await;
    assert_eq!(browser.eval("document.activeElement.textContent").await, "跳到主要内容");
    browser.press(Key::Enter).await;
    assert_eq!(browser.eval("document.activeElement.id").await, "main");

    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "browser console errors: {errors:#?}");
    browser.close().await;
}
