/** What a plan was made from when it is not a commit: the uncommitted files of a work tree. */

export interface WorkingTreeSource {
  kind: 'working_tree';
  /** The commit checked out, which the changes are made to. */
  base_commit: string;
  /** The changed files (modified, added, deleted or untracked), relative to the job root. */
  changed_files: string[];
}

export type PlanSource = WorkingTreeSource;

/** The first lines of a plan for people: what is planned, and on which cluster. */
export function planHeading(
  plan: { commit: string; cluster: string; source?: PlanSource },
  code: (text: string) => string,
): string[] {
  const commit = code(plan.commit.slice(0, 12));
  if (plan.source?.kind !== 'working_tree')
    return [`Borealis plan for commit ${commit} on cluster ${code(plan.cluster)}`];
  const files = plan.source.changed_files.join(', ');
  return [
    `Borealis plan for the working tree on cluster ${code(plan.cluster)} (uncommitted: ${files})`,
    `The changes are to commit ${commit}; commit them to deploy.`,
  ];
}
