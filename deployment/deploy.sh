#!/usr/bin/env bash
# Deploy an already pushed image tag to the app stack: run the migration as a one-off ECS task with
# the new image, and only if it succeeds roll every service to that tag. Used by buildspec.yml and
# runnable by hand:  APP_STACK_NAME=clinic-dialer-app IMAGE_REPOSITORY_URI=... IMAGE_TAG=... deployment/deploy.sh
set -euo pipefail
: "${APP_STACK_NAME:?set APP_STACK_NAME (the app.yaml stack name)}"
: "${IMAGE_REPOSITORY_URI:?set IMAGE_REPOSITORY_URI (bootstrap stack output)}"
: "${IMAGE_TAG:?set IMAGE_TAG (the tag suffix the build pushed)}"
cd "$(dirname "$0")/.."

output() {
  aws cloudformation describe-stacks --stack-name "$APP_STACK_NAME" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}
cluster=$(output ClusterName)
family=$(output MigrateTaskFamily)
subnets=$(output PrivateSubnetIds)
security_group=$(output AppSecurityGroupId)

echo "== 1/3 register ${family} with image migrate-${IMAGE_TAG}"
current=$(aws ecs describe-task-definition --task-definition "$family" --query taskDefinition --output json)
revision=$(jq --arg image "${IMAGE_REPOSITORY_URI}:migrate-${IMAGE_TAG}" '
  .containerDefinitions[0].image = $image
  | {family, taskRoleArn, executionRoleArn, networkMode, containerDefinitions,
     requiresCompatibilities, cpu, memory}' <<<"$current")
task_definition=$(aws ecs register-task-definition --cli-input-json "$revision" \
  --query taskDefinition.taskDefinitionArn --output text)

echo "== 2/3 run the migration"
task=$(aws ecs run-task --cluster "$cluster" --launch-type FARGATE --task-definition "$task_definition" \
  --started-by "deploy-${IMAGE_TAG}" \
  --network-configuration "awsvpcConfiguration={subnets=[${subnets}],securityGroups=[${security_group}],assignPublicIp=DISABLED}" \
  --query 'tasks[0].taskArn' --output text)
aws ecs wait tasks-stopped --cluster "$cluster" --tasks "$task"
exit_code=$(aws ecs describe-tasks --cluster "$cluster" --tasks "$task" \
  --query 'tasks[0].containers[0].exitCode' --output text)
if [[ "$exit_code" != "0" ]]; then
  echo "migration failed (exit code ${exit_code}); services stay on their current image." >&2
  echo "logs: aws logs tail /ecs/${cluster}/migrate --since 30m" >&2
  exit 1
fi

echo "== 3/3 roll the services to ${IMAGE_TAG}"
aws cloudformation deploy --stack-name "$APP_STACK_NAME" \
  --template-file deployment/cloudformation/app.yaml --capabilities CAPABILITY_IAM \
  --no-fail-on-empty-changeset \
  --parameter-overrides "ImageTag=${IMAGE_TAG}" "Bootstrapping=false"
# shellcheck disable=SC2046  # the service names are one word each
aws ecs wait services-stable --cluster "$cluster" --services $(output ServiceNames)
echo "deployed ${IMAGE_TAG}"
