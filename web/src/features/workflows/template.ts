/** What a new workflow's editor starts with: every part of the format, ready to edit. */
export const NEW_WORKFLOW_TEMPLATE = `name: my-workflow
description: What this workflow does
triggers:
  manual: true
steps:
  - id: implement
    name: Implement the change
    type: claude_task
    config:
      prompt: |
        Describe the change for the agent here.
      branch: feature/my-change
  - id: review
    name: Ship it?
    type: approval
    dependsOn: [implement]
    config:
      message: Open the pull request?
  - id: open-pr
    type: git_operation
    dependsOn: [review]
    config:
      operation: create_pr
      branch: feature/my-change
`;
