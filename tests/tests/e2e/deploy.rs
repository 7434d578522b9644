//! The deploy hooks, as LocalStack runs them in the compose trial: what
//! they leave in LocalStack, and that a second run changes nothing but the
//! sealed values.

use ratchet_daemon::render::Format;
use serde_json::Value;

use crate::support::chain::Chain;
use crate::support::localstack::LocalStack;
use crate::support::payload;
use crate::support::profiles;
use crate::support::readers;
use crate::support::stack::Stack;

/// The resources named after the stack, counted by kind.
fn inventory(localstack: &LocalStack, name: &str) -> Vec<(String, usize)> {
    let count = |listing: Value, list: &str, field: &str, wanted: &dyn Fn(&str) -> bool| {
        listing[list]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|item| item[field].as_str().is_some_and(wanted))
            .count()
    };
    let prefixed = |s: &str| s.starts_with(&format!("{name}-"));
    vec![
        (
            "aliases".into(),
            count(
                localstack.aws(&["kms", "list-aliases"]),
                "Aliases",
                "AliasName",
                &|s| s == format!("alias/{name}"),
            ),
        ),
        (
            "roles".into(),
            count(
                localstack.aws(&["iam", "list-roles"]),
                "Roles",
                "RoleName",
                &prefixed,
            ),
        ),
        (
            "apis".into(),
            count(
                localstack.aws(&["apigateway", "get-rest-apis"]),
                "items",
                "name",
                &prefixed,
            ),
        ),
        (
            "api keys".into(),
            count(
                localstack.aws(&["apigateway", "get-api-keys"]),
                "items",
                "name",
                &prefixed,
            ),
        ),
        (
            "usage plans".into(),
            count(
                localstack.aws(&["apigateway", "get-usage-plans"]),
                "items",
                "name",
                &|s| s == name,
            ),
        ),
        (
            "functions".into(),
            count(
                localstack.aws(&["lambda", "list-functions"]),
                "Functions",
                "FunctionName",
                &|s| s == name,
            ),
        ),
    ]
}

/// What the hooks built: one key behind its alias, the function's role and
/// one per reader, two APIs with the GET method each flavour needs, a usage
/// plan holding one key per consumer, the function with every profile
/// sealed and the access map. Run again, they create nothing, keep every id
/// and key value, and only seal the profiles anew; the chain then serves
/// the same values under the new version.
#[test]
#[ignore = "needs scripts/tools.sh; run by scripts/test-e2e.sh"]
fn hooks_build_the_stack_and_rerun_cleanly() {
    let profile = profiles::generation("steady", "only");
    let name = "rerun";
    let stack = Stack::deploy(name, &profiles::readers(&[&profile]), &[&profile]);
    let localstack = stack.localstack();
    let expected: Vec<(String, usize)> = [
        ("aliases", 1),
        ("roles", 2),
        ("apis", 2),
        ("api keys", 1),
        ("usage plans", 1),
        ("functions", 1),
    ]
    .iter()
    .map(|(kind, n)| (kind.to_string(), *n))
    .collect();
    assert_eq!(inventory(localstack, name), expected);

    // The methods, as API Gateway will enforce them.
    for (flavour, authorization, key_required) in [("key", "NONE", true), ("iam", "AWS_IAM", false)]
    {
        let resources = localstack.aws(&[
            "apigateway",
            "get-resources",
            "--rest-api-id",
            &stack.api_id(flavour),
            "--embed",
            "methods",
        ]);
        let resource = resources["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["path"] == "/v1/profiles/{profile}")
            .expect("the profile resource");
        let method = &resource["resourceMethods"]["GET"];
        assert_eq!(method["authorizationType"], authorization, "{method}");
        assert_eq!(method["apiKeyRequired"], key_required, "{method}");
        assert_eq!(method["methodIntegration"]["type"], "AWS_PROXY", "{method}");
    }

    // The function's environment: the sealed profile and the access map.
    let environment = stack.function_environment();
    assert!(environment["RATCHET_PROFILE_STEADY"].starts_with("ratchet:v1:"));
    let access: Value = serde_json::from_str(&environment["RATCHET_ACCESS"]).expect("JSON");
    assert_eq!(
        access["steady"]["principals"][0],
        stack.outputs("iam")["roles"]["app-task"]
    );
    assert_eq!(
        access["steady"]["api_keys"][0],
        stack.outputs("api")["api_keys"]["app"]
    );

    // A second run.
    let outputs = |stack: &Stack| ["kms", "iam", "api"].map(|step| stack.outputs(step));
    let before = outputs(&stack);
    let key_before = std::fs::read(stack.api_key_file("app")).expect("the key file");
    let version_before = stack.version("steady");
    let log_before = stack.deploy_log().len();
    stack.redeploy(&[&profile]);
    assert_eq!(outputs(&stack), before, "ids changed");
    assert_eq!(
        std::fs::read(stack.api_key_file("app")).expect("key"),
        key_before
    );
    assert_eq!(
        inventory(localstack, name),
        expected,
        "the second run created resources"
    );
    assert!(
        !stack.deploy_log()[log_before..].contains("created"),
        "{}",
        stack.deploy_log()
    );
    assert_ne!(
        stack.version("steady"),
        version_before,
        "the profile was sealed anew"
    );

    let chain = Chain::start(&stack);
    let daemon = chain.daemon("key", "steady", &chain.key("app"), "dotenv");
    assert_eq!(
        readers::cat(daemon.dir()),
        payload(Format::Dotenv, &profile)
    );
    assert_eq!(daemon.event(1)["version"], stack.version("steady"));
    chain.finish();
}
