#!/usr/bin/env bash
# Checks terraform/: formatting, init and validate of every module and example
# against the offline provider folder, an apply / plan / destroy of the
# complete example against moto, and checkov.
#
#   RATCHET_FUNCTION_ZIP=target/lambda/bootstrap/bootstrap.zip scripts/test-terraform.sh
#
# Everything Terraform writes (.terraform/, lock files, state) goes to a
# temporary copy of terraform/, removed on exit together with moto. The
# provider folder is the parent of the first directory named
# registry.terraform.io within four levels of /, or $RATCHET_TF_PLUGIN_DIR.
set -euo pipefail

RATCHET_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RATCHET_TOOLS_DIR="${RATCHET_TOOLS_DIR:-$RATCHET_ROOT/.tools}"
export RATCHET_ROOT RATCHET_TOOLS_DIR

# Terraform reads no user configuration and asks nothing.
export TF_CLI_CONFIG_FILE=/dev/null TF_IN_AUTOMATION=1 TF_INPUT=0
unset TF_PLUGIN_CACHE_DIR TF_DATA_DIR TF_WORKSPACE

fail() {
  echo "test-terraform: $*" >&2
  exit 1
}

# The function zip is an input: the test command builds the real one.
if [[ -z "${RATCHET_FUNCTION_ZIP:-}" ]]; then
  fail "RATCHET_FUNCTION_ZIP is not set; build the function (cargo lambda build --release --output-format zip) and set it to the zip's path"
fi
[[ -f "$RATCHET_FUNCTION_ZIP" ]] || fail "RATCHET_FUNCTION_ZIP=$RATCHET_FUNCTION_ZIP is not a file"
function_zip="$(cd "$(dirname "$RATCHET_FUNCTION_ZIP")" && pwd)/$(basename "$RATCHET_FUNCTION_ZIP")"

command -v terraform >/dev/null || fail "terraform is not on PATH"

plugin_dir="${RATCHET_TF_PLUGIN_DIR:-}"
if [[ -z "$plugin_dir" ]]; then
  registry=$(find / -maxdepth 4 -type d -name registry.terraform.io -print -quit 2>/dev/null || true)
  [[ -n "$registry" ]] || fail "no directory named registry.terraform.io within four levels of /; set RATCHET_TF_PLUGIN_DIR to the provider folder"
  plugin_dir=$(dirname "$registry")
fi
[[ -d "$plugin_dir/registry.terraform.io" ]] || fail "$plugin_dir holds no registry.terraform.io directory"

"$RATCHET_ROOT/scripts/tools.sh" py
"$RATCHET_ROOT/scripts/tools.sh" checkov
python="$RATCHET_TOOLS_DIR/py/bin/python"
moto_server="$RATCHET_TOOLS_DIR/py/bin/moto_server"
checkov="$RATCHET_TOOLS_DIR/checkov/bin/checkov"
for tool in "$python" "$moto_server" "$checkov"; do
  [[ -x "$tool" ]] || fail "$tool is missing; run scripts/tools.sh"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ratchet-terraform.XXXXXX")
moto_pid=""
cleanup() {
  local status=$?
  if [[ -n "$moto_pid" ]]; then
    if [[ $status -ne 0 && -s "$work/moto.log" ]]; then
      echo "test-terraform: last lines of the moto log:" >&2
      tail -n 20 "$work/moto.log" >&2
    fi
    if kill -0 "$moto_pid" 2>/dev/null; then
      kill "$moto_pid" 2>/dev/null || true
      wait "$moto_pid" 2>/dev/null || true
    else
      local moto_status=0
      wait "$moto_pid" 2>/dev/null || moto_status=$?
      echo "test-terraform: moto_server had exited, status $moto_status" >&2
    fi
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

timings=()
passed=0
# step NAME COMMAND... runs one check, timing it; the script stops at the first
# failure.
step() {
  local name=$1 start elapsed
  shift
  echo "--- $name" >&2
  start=$(date +%s%N)
  "$@"
  elapsed=$((($(date +%s%N) - start) / 100000000))
  timings+=("$(printf '%-48s %4d.%d s' "$name" $((elapsed / 10)) $((elapsed % 10)))")
  passed=$((passed + 1))
}

step "fmt" terraform -chdir="$RATCHET_ROOT" fmt -check -recursive -diff terraform

# A copy without local state, lock files or variable files keeps the checkout
# clean and the runs independent of what a developer left behind.
tar -C "$RATCHET_ROOT" \
  --exclude=.terraform --exclude=.terraform.lock.hcl --exclude='terraform.tfstate*' \
  --exclude='*.tfvars' --exclude='*.tfvars.json' --exclude='*_override.tf' \
  -cf - terraform | tar -C "$work" -xf -

for dir in "$work"/terraform/modules/* "$work"/terraform/examples/*; do
  step "init ${dir#"$work"/}" terraform -chdir="$dir" init -backend=false -plugin-dir="$plugin_dir" -no-color -input=false
  step "validate ${dir#"$work"/}" terraform -chdir="$dir" validate -no-color
done

# moto on a free loopback port, stopped by the trap.
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"
"$moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
moto_ready() {
  "$python" -c "import urllib.request; urllib.request.urlopen('$endpoint/moto-api/', timeout=1)" 2>/dev/null
}
for _ in $(seq 100); do
  moto_ready && break
  kill -0 "$moto_pid" 2>/dev/null || fail "moto_server exited; its log: $(cat "$work/moto.log")"
  sleep 0.1
done
moto_ready || fail "moto_server did not answer on $endpoint"

example="$work/terraform/examples/complete"
region=us-east-1

# Test-only provider settings, merged into the example's provider block so the
# example itself stays a production configuration.
{
  echo 'provider "aws" {'
  echo "  region                      = \"$region\""
  echo '  access_key                  = "test"'
  echo '  secret_key                  = "test"'
  echo '  skip_credentials_validation = true'
  echo '  skip_metadata_api_check     = true'
  echo '  endpoints {'
  for service in apigateway cloudwatch ecs iam kms lambda logs sns sts; do
    echo "    $service = \"$endpoint\""
  done
  echo '  }'
  echo '}'
} >"$example/moto_override.tf"

# moto keeps a REST API's resource policy as plain JSON where AWS returns it
# escaped, and the provider cannot read it back ("invalid character after
# top-level value"). Against moto the policies are rendered (their documents
# are data sources, and deployments still hash them) but not attached.
cat >"$work/terraform/modules/secrets-api/moto_override.tf" <<'HCL'
resource "aws_api_gateway_rest_api_policy" "this" {
  for_each = {}
}

resource "aws_api_gateway_deployment" "this" {
  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_method.get_profile[each.key].id,
      aws_api_gateway_integration.get_profile[each.key].uri,
      local.api_policies[each.key],
    ]))
  }
}
HCL

# moto does not keep a service's availability zone rebalancing setting, so
# every plan would offer to set it again.
cat >"$work/terraform/modules/ecs-service/moto_override.tf" <<'HCL'
resource "aws_ecs_service" "this" {
  lifecycle {
    ignore_changes = [availability_zone_rebalancing]
  }
}
HCL

# The service needs subnets and a security group: moto's default VPC has both.
# The sealed values are placeholders; moto never runs the function.
"$python" - "$endpoint" "$region" "$function_zip" >"$example/moto.auto.tfvars.json" <<'PY'
import json
import sys

import boto3

endpoint, region, zip_path = sys.argv[1:4]
ec2 = boto3.client(
    "ec2",
    endpoint_url=endpoint,
    region_name=region,
    aws_access_key_id="test",
    aws_secret_access_key="test",
)
subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
json.dump(
    {
        "region": region,
        "function_zip_path": zip_path,
        "sealed_profiles": {"app": "sealed-app-placeholder", "ci-tools": "sealed-ci-tools-placeholder"},
        "app_image": "public.ecr.aws/docker/library/busybox:stable",
        "app_command": ["sh", "-c", "cat /run/ratchet/.env >/dev/null && sleep 3600"],
        "ratchet_image": "ratchet:test",
        "subnet_ids": sorted(s["SubnetId"] for s in subnets)[:2],
        "security_group_ids": [groups[0]["GroupId"]],
        "api_key_consumers": {"app": ["ops"], "ci-tools": ["ci", "ops"]},
        "alarm_email_addresses": ["security@example.com"],
    },
    sys.stdout,
)
PY

step "apply example against moto" terraform -chdir="$example" apply -auto-approve -no-color -input=false
resources=$(terraform -chdir="$example" state list | grep -vc '^data\.\|\.data\.' || true)
echo "test-terraform: $resources resources applied" >&2

# Accepted is not enough: read back what moto holds and compare it with the
# contracts the daemon and the function rely on.
inspect_applied() {
  "$python" - "$endpoint" "$region" "$example/moto.auto.tfvars.json" <<'PY'
import json
import sys

import boto3

endpoint, region, tfvars_path = sys.argv[1:4]
tfvars = json.load(open(tfvars_path))


def client(service):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def check(condition, message):
    if not condition:
        sys.exit(f"inspect: {message}")


iam, kms, lam = client("iam"), client("kms"), client("lambda")
apigw, ecs, logs, cw = client("apigateway"), client("ecs"), client("logs"), client("cloudwatch")

# The function: runtime, one variable per sealed profile, the access map.
fn = lam.get_function_configuration(FunctionName="ratchet")
check((fn["Runtime"], fn["Handler"], fn["Architectures"]) == ("provided.al2023", "bootstrap", ["x86_64"]), "function runtime")
env = fn["Environment"]["Variables"]
for profile, sealed in tfvars["sealed_profiles"].items():
    name = "RATCHET_PROFILE_" + profile.upper().replace("-", "_")
    check(env.get(name) == sealed, f"{name} does not hold the sealed value")
access = json.loads(env["RATCHET_ACCESS"])
task_role = iam.get_role(RoleName="ratchet-app-task")["Role"]["Arn"]
function_role = iam.get_role(RoleName="ratchet-function")["Role"]["Arn"]
check(access["app"]["principals"] == [task_role], "app principals are not the task role")
keys = {k["name"]: k["id"] for k in apigw.get_api_keys()["items"]}
for profile, consumers in tfvars["api_key_consumers"].items():
    want = sorted(keys[f"ratchet-{c}"] for c in consumers)
    check(sorted(access[profile]["api_keys"]) == want, f"api keys of {profile}")

# The profiles key: rotation on; only the function role decrypts, only with
# the encryption context; admins seal with it.
key_id = next(a["TargetKeyId"] for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/ratchet")
check(kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"], "key rotation is off")
statements = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])["Statement"]
actions = lambda s: [s["Action"]] if isinstance(s["Action"], str) else s["Action"]
decrypting = [s for s in statements if any(a in ("kms:Decrypt", "kms:*") for a in actions(s))]
check(len(decrypting) == 1 and decrypting[0]["Principal"] == {"AWS": function_role}, "someone besides the function may decrypt")
check(decrypting[0]["Condition"]["StringEquals"] == {"kms:EncryptionContext:ratchet-format": "1"}, "decrypt condition")
check(decrypting[0]["Condition"]["Null"] == {"kms:EncryptionContext:ratchet-profile": "false"}, "decrypt condition")
check(any("kms:GenerateDataKey" in actions(s) for s in statements), "nobody may seal")
role_policy = iam.get_role_policy(RoleName="ratchet-function", PolicyName="unseal-and-log")["PolicyDocument"]
kms_statements = [s for s in role_policy["Statement"] if any(a.startswith("kms:") for a in actions(s))]
check(len(kms_statements) == 1 and actions(kms_statements[0]) == ["kms:Decrypt"], "function role kms actions")
check(kms_statements[0]["Resource"] == kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"], "function role decrypts another key")

# The two API flavours, their stages, the usage plan.
apis = {a["name"]: a["id"] for a in apigw.get_rest_apis()["items"]}
for flavour, auth, key_required in (("iam", "AWS_IAM", False), ("key", "NONE", True)):
    api_id = apis[f"ratchet-{flavour}"]
    resource = next(r for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/v1/profiles/{profile}")
    method = apigw.get_method(restApiId=api_id, resourceId=resource["id"], httpMethod="GET")
    check(method["authorizationType"] == auth and method.get("apiKeyRequired", False) == key_required, f"{flavour} method auth")
    check(method["methodIntegration"]["type"] == "AWS_PROXY", f"{flavour} integration")
    stage = apigw.get_stage(restApiId=api_id, stageName="prod")
    check("accessLogSettings" in stage, f"{flavour} stage has no access log")
    throttled = stage["methodSettings"]["*/*"]
    check(throttled["throttlingRateLimit"] > 0 and not throttled["dataTraceEnabled"], f"{flavour} stage settings")
plan = apigw.get_usage_plans()["items"][0]
check([s["apiId"] for s in plan["apiStages"]] == [apis["ratchet-key"]], "usage plan stages")
check(len(apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]) == 2, "usage plan keys")

# The task: shared volume, sidecar first and healthy, pid namespace, logs.
task = ecs.describe_task_definition(taskDefinition="ratchet-app")["taskDefinition"]
check(task["pidMode"] == "task" and task["requiresCompatibilities"] == ["FARGATE"], "task pid mode")
check(task["volumes"] == [{"name": "ratchet", "configuredAtLaunch": False}] or task["volumes"][0].get("host") is None, "task volume")
containers = {c["name"]: c for c in task["containerDefinitions"]}
app, sidecar = containers["app"], containers["ratchet"]
check(app["dependsOn"] == [{"containerName": "ratchet", "condition": "HEALTHY"}], "app does not wait for the sidecar")
check(sidecar["healthCheck"]["command"] == ["CMD", "/ratchet", "health"], "sidecar healthcheck")
for c in (app, sidecar):
    check([m["containerPath"] for m in c["mountPoints"]] == ["/run/ratchet"], f"{c['name']} mount")
    check(c["logConfiguration"]["logDriver"] == "awslogs", f"{c['name']} logs")
sidecar_env = {e["name"]: e["value"] for e in sidecar["environment"]}
check(sidecar_env["RATCHET_PROFILE"] == "app" and sidecar_env["RATCHET_AUTH"] == "iam", "sidecar profile and auth")
check(sidecar_env["RATCHET_PATH"] == "/run/ratchet/.env", "sidecar path")
check(sidecar_env["RATCHET_API_URL"].endswith("/prod") and apis["ratchet-iam"] in sidecar_env["RATCHET_API_URL"], "sidecar api url")
task_policy = iam.get_role_policy(RoleName="ratchet-app-task", PolicyName="read-profile")["PolicyDocument"]
want = f"arn:aws:execute-api:{region}:123456789012:{apis['ratchet-iam']}/prod/GET/v1/profiles/app"
check([(actions(s), s["Resource"]) for s in task_policy["Statement"]] == [(["execute-api:Invoke"], want)], "task role reaches beyond its profile")

# The audit: metric filters, alarms to the topic, encrypted log groups.
filters = {f["filterName"]: f for f in logs.describe_metric_filters(logGroupName="/aws/lambda/ratchet")["metricFilters"]}
check(filters["ratchet-denials"]["filterPattern"] == '{ $.event = "ratchet.read" && $.outcome = "denied" }', "denials pattern")
check(filters["ratchet-reads"]["filterPattern"] == '{ $.event = "ratchet.read" && $.outcome = "served" }', "reads pattern")
check(filters["ratchet-reads"]["metricTransformations"][0]["dimensions"] == {"profile": "$.profile"}, "reads dimension")
alarms = {a["AlarmName"]: a for a in cw.describe_alarms()["MetricAlarms"]}
check(alarms["ratchet-denials"]["Threshold"] == 0, "denials threshold")
for profile in tfvars["sealed_profiles"]:
    check(alarms[f"ratchet-reads-{profile}"]["Dimensions"] == [{"Name": "profile", "Value": profile}], f"reads alarm of {profile}")
check(all(a["AlarmActions"] for a in alarms.values()), "an alarm notifies nobody")
for group in logs.describe_log_groups()["logGroups"]:
    check(group.get("kmsKeyId") and group.get("retentionInDays") == 365, f"log group {group['logGroupName']}")
print(f"inspect: {len(alarms)} alarms, {len(filters)} metric filters, {len(containers)} containers as expected")
PY
}
step "applied resources match the contracts" inspect_applied

second_plan() {
  local status=0
  terraform -chdir="$example" plan -detailed-exitcode -no-color -input=false || status=$?
  case $status in
    0) ;;
    2) fail "the plan after apply is not empty: moto or the configuration drifts" ;;
    *) fail "the plan after apply failed" ;;
  esac
}
step "plan after apply shows no changes" second_plan
step "destroy example against moto" terraform -chdir="$example" destroy -auto-approve -no-color -input=false
kill "$moto_pid" && wait "$moto_pid" 2>/dev/null || true
moto_pid=""

step "checkov" "$checkov" --directory "$RATCHET_ROOT/terraform" --framework terraform --skip-download --quiet --compact

echo >&2
echo "test-terraform: timings ($resources resources against moto)" >&2
printf '  %s\n' "${timings[@]}" >&2
echo "terraform: $passed passed, 0 failed"
