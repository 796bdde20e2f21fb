/* true — the command every init runs in the start-up benchmark: static
 * (musl), so its exec costs the same whatever runs it and no dynamic loader
 * hides the inits' differences in its own work. */
int main(void)
{
	return 0;
}
